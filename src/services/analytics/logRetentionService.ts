/**
 * Raw-log retention by plan: request rows older than the owner's plan keeps are deleted, in
 * batches per project (each a short DELETE on the (projectId, createdAt) index). Rollups are
 * kept, so metrics over old ranges still work after their raw rows are gone.
 */
import { planConfigFromEnv, planFor, type PlanConfig } from '../../config/plans.js';
import { deleteRequestsBefore, projectsWithPlan, type SqlClient } from '../../db/queries/rollupQueries.js';

const DAY_MS = 86_400_000;

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
  return { projects: projects.length, deleted };
}
