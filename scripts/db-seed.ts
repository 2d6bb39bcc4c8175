/**
 * npm run db:seed [-- --days 7 --requests 50000 --force]
 * Demo data on the configured database (embedded unless DATABASE_URL): an admin and a demo
 * user (credentials printed), two projects with API keys (printed once, when created), days of
 * realistic traffic with a progress bar (rollups rebuilt), and a few incidents with RCA and
 * remediations. Safe to run twice: existing accounts and projects are kept and traffic is only
 * generated for a project that has none (or with --force).
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { openDatabase } from '../src/db/database.js';
import { createPrisma, type PrismaClient } from '../src/db/prisma.js';
import { createApiKey } from '../src/services/auth/apiKeyService.js';
import { IncidentEvents } from '../src/services/incidents/incidentEvents.js';
import { upsertIncident } from '../src/services/incidents/incidentService.js';
import { IngestWriter } from '../src/services/ingest/ingestWriter.js';
import { generateRca } from '../src/services/incidents/rcaService.js';
import { repairRollupDay, utcDayStart } from '../src/services/analytics/rollupService.js';
import { hashPassword } from '../src/utils/password.js';
import { rng, syntheticRow } from './seed/traffic.js';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '7' },
    requests: { type: 'string', default: '50000' },
    force: { type: 'boolean', default: false },
  },
});
const DAYS = Math.max(1, Number(values.days));
const REQUESTS = Math.max(0, Number(values.requests));

const accounts = [
  {
    email: 'admin@llmguard.local',
    name: 'Admin',
    role: 'admin' as const,
    password: process.env.SEED_ADMIN_PASSWORD ?? 'Admin-Lantern-2026',
  },
  {
    email: 'demo@llmguard.local',
    name: 'Demo User',
    role: 'user' as const,
    password: process.env.SEED_DEMO_PASSWORD ?? 'Demo-Harbor-2026',
  },
];
const PROJECTS = ['Demo: support bot', 'Demo: code assistant'];

function progress(done: number, total: number) {
  const width = 30;
  const filled = Math.round((done / Math.max(total, 1)) * width);
  process.stderr.write(
    `\rtraffic [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done.toLocaleString()}/${total.toLocaleString()}`,
  );
  if (done >= total) process.stderr.write('\n');
}

async function seedTraffic(prisma: PrismaClient, projects: { id: string; keyId: string }[]) {
  const writer = new IngestWriter(prisma, { maxBatch: 1000, maxQueue: 5000 });
  const r = rng(2026);
  const now = Date.now();
  const span = DAYS * 86_400_000;
  for (let done = 0; done < REQUESTS;) {
    const chunk = Math.min(1000, REQUESTS - done);
    const writes = [];
    for (let i = 0; i < chunk; i++) {
      const p = projects[(done + i) % projects.length]!;
      // spread over the days, busier in working hours
      const at = new Date(now - span + Math.floor(((done + i) / REQUESTS) * span) + Math.floor(r() * 60_000));
      writes.push(writer.write(syntheticRow(p.id, p.keyId, at, r)));
    }
    await Promise.all(writes);
    done += chunk;
    progress(done, REQUESTS);
  }
  await writer.close();
  for (let d = DAYS; d >= 0; d--) await repairRollupDay(prisma, utcDayStart(new Date(now - d * 86_400_000)));
}

async function seedIncidents(prisma: PrismaClient, projectId: string, actorId: string) {
  const events = new IncidentEvents();
  const signals = [
    {
      type: 'latency' as const,
      severity: 'high' as const,
      endpoint: 'chat',
      title: 'Latency above 5000 ms on chat',
      figures: { thresholdMs: 5000, maxLatencyMs: 11800, slowRequests: 14 },
    },
    {
      type: 'error_rate' as const,
      severity: 'medium' as const,
      title: 'Error rate 18.0% over the last hour',
      figures: { errorRate: 0.18, errors: 36, total: 200, threshold: 0.1 },
    },
    {
      type: 'external' as const,
      severity: 'critical' as const,
      title: '[Triggered] Checkout p95 latency',
      figures: { source: 'datadog', priority: 'P1' },
    },
  ];
  for (const s of signals) {
    const { incident, created } = await upsertIncident(prisma, { projectId, ...s });
    if (!created) continue;
    await generateRca(prisma, incident.id, { openai: null, logger: pino({ level: 'silent' }) });
    if (s.type === 'latency') {
      await prisma.remediationAction.create({
        data: {
          projectId,
          incidentId: incident.id,
          action: 'switch_model',
          params: { from: 'gpt-4o', to: 'gpt-4o-mini' },
          appliedById: actorId,
        },
      });
    }
  }
  await events.idle();
}

const db = await openDatabase((m) => console.error(m));
const prisma = createPrisma(db.url, 4);
try {
  const users: Record<string, string> = {};
  for (const account of accounts) {
    const passwordHash = await hashPassword(account.password);
    const user = await prisma.user.upsert({
      where: { email: account.email },
      create: { email: account.email, name: account.name, role: account.role, passwordHash },
      update: { role: account.role, passwordHash },
    });
    users[account.role] = user.id;
  }
  const demoId = users.user!;
  await prisma.subscription.upsert({
    where: { userId: demoId },
    create: { userId: demoId, plan: 'pro', status: 'active' },
    update: {},
  });

  const newKeys: string[] = [];
  const projects: { id: string; keyId: string; fresh: boolean }[] = [];
  for (const name of PROJECTS) {
    let project = await prisma.project.findFirst({ where: { ownerId: demoId, name, deletedAt: null } });
    let keyId = project
      ? (await prisma.apiKey.findFirst({ where: { projectId: project.id, revokedAt: null } }))?.id
      : undefined;
    if (!project) project = await prisma.project.create({ data: { ownerId: demoId, name } });
    if (!keyId) {
      const key = await createApiKey(prisma, project.id, { name: 'demo' }, { actorId: demoId });
      keyId = key.id;
      newKeys.push(`  ${name}: ${key.key}`);
    }
    const fresh = (await prisma.llmRequest.count({ where: { projectId: project.id } })) === 0;
    projects.push({ id: project.id, keyId, fresh });
  }

  const targets = projects.filter((p) => p.fresh || values.force);
  if (targets.length > 0 && REQUESTS > 0) await seedTraffic(prisma, targets);
  else console.error('traffic already seeded (use --force to add more)');
  await seedIncidents(prisma, projects[0]!.id, demoId);

  console.log('\nSeeded accounts (POST /api/v1/auth/login):');
  for (const a of accounts) console.log(`  ${a.role.padEnd(5)}  ${a.email}  ${a.password}`);
  console.log(
    newKeys.length
      ? `\nNew API keys (shown once, keep them):\n${newKeys.join('\n')}`
      : '\nAPI keys: unchanged (created on the first run)',
  );
  console.log(`\nProjects: ${projects.map((p) => p.id).join(', ')}`);
} finally {
  await prisma.$disconnect();
  await db.stop();
}
