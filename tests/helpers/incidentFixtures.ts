/** Incident rows and their requests written straight into the test database. */
import type { PrismaClient } from '../../src/db/prisma.js';
import type { Prisma } from '../../src/generated/prisma/client.js';
import { uuidv7 } from '../../src/utils/ids.js';

/** An open latency incident on endpoint "chat" over the last 5 minutes; `over` changes any field. */
export function seedIncident(
  prisma: PrismaClient,
  projectId: string,
  over: Partial<Prisma.IncidentUncheckedCreateInput> = {},
  now = Date.now(),
) {
  return prisma.incident.create({
    data: {
      projectId,
      type: 'latency',
      severity: 'high',
      title: 'Latency above 5000 ms on chat',
      endpoint: 'chat',
      count: 3,
      firstSeenAt: new Date(now - 5 * 60_000),
      lastSeenAt: new Date(now),
      figures: { thresholdMs: 5000, p95Ms: 8200, maxLatencyMs: 9100 },
      ...over,
    },
  });
}

/** Slow gpt-4o calls on "chat", a minute old, one millisecond apart (in order); returns the rows. */
export async function seedRequests(
  prisma: PrismaClient,
  projectId: string,
  rows: Partial<Prisma.LlmRequestCreateManyInput>[],
  now = Date.now(),
) {
  const data = rows.map((r, i) => ({
    id: uuidv7(),
    projectId,
    model: 'gpt-4o',
    effectiveModel: 'gpt-4o',
    endpoint: 'chat',
    prompt: 'Summarise the report.',
    response: 'Done.',
    latencyMs: 9000,
    riskScore: 5,
    riskLevel: 'low' as const,
    riskFlags: [],
    decision: 'allow' as const,
    createdAt: new Date(now - 60_000 + i),
    ...r,
  }));
  await prisma.llmRequest.createMany({ data });
  return data;
}
