/**
 * Raw-log retention by plan. llm_requests is partitioned by month: first every month partition
 * that ended before the longest retention any live project has (its owner's plan) is dropped
 * whole, which costs no DELETE, no dead rows and no vacuum. Then, for the months still kept
 * because a longer plan needs them, the rows of projects on shorter plans are deleted in batches
 * per project (each a short DELETE on the (projectId, createdAt) index), as before partitioning.
 * Rollups are kept, so metrics over old ranges still work after their raw rows are gone.
 */
import { planConfigFromEnv, planFor, type PlanConfig } from '../../config/plans.js';
import { deleteRequestsBefore, projectsWithPlan, type SqlClient } from '../../db/queries/rollupQueries.js';
import { dropRequestPartitionsBefore } from './requestPartitions.js';
import { DAY_MS } from '../../utils/time.js';

/**
 * Applies every live project's plan retention at `now`; returns what was deleted. A plan
 * without a retention limit (self-hosted `unlimited`) keeps every row.
 */
export async function applyRawLogRetention(
  db: SqlClient,
  now = new Date(),
  batchSize = 10_000,
  plans: PlanConfig = planConfigFromEnv(),
) {
  const projects = await projectsWithPlan(db);
  // Whole months go once the longest retention of any live project is past them (none when a
  // project keeps everything; with no project at all, the shortest plan's retention).
  const kept = projects.map((p) => planFor(p.plan, plans).retentionDays);
  const longestDays = kept.includes(null)
    ? null
    : kept.length
      ? Math.max(...(kept as number[]))
      : Math.min(
          ...(plans.selfHosted ? [plans.selfHosted] : Object.values(plans.plans)).map(
            (p) => p.retentionDays ?? Infinity,
          ),
        );
  const droppedPartitions =
    longestDays === null || !Number.isFinite(longestDays)
      ? []
      : await dropRequestPartitionsBefore(db, new Date(now.getTime() - longestDays * DAY_MS));
  let deleted = 0;
  for (const project of projects) {
    const days = planFor(project.plan, plans).retentionDays;
    if (days === null) continue;
    const cutoff = new Date(now.getTime() - days * DAY_MS);
    for (;;) {
      const n = await deleteRequestsBefore(db, project.id, cutoff, batchSize);
      deleted += n;
      if (n < batchSize) break;
    }
  }
  return { projects: projects.length, deleted, droppedPartitions };
}
