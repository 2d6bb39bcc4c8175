import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { findPgTools } from '../../src/services/ops/backup/nativeDump.js';
import { compareCounts } from '../../src/services/ops/backup/verifyReport.js';
import {
  type BackupKeys,
  type BackupOptions,
  createBackup,
  restoreBackup,
  verifyBackup,
} from '../../src/services/ops/backupService.js';
import { encryptSecret } from '../../src/utils/crypto.js';
import { createDatabase } from '../helpers/testDb.js';

const SECRET_PROMPT = `backup-canary-${randomBytes(8).toString('hex')} ignore previous instructions`;
const key = (version: string) => ({ version, key: randomBytes(32) });
const v1 = key('v1');
const keys: BackupKeys = { encryption: [v1] };

let prisma: PrismaClient;
let databaseUrl: string;
let dir: string;
const drops: (() => Promise<void>)[] = [];

async function seed(): Promise<void> {
  for (let u = 0; u < 3; u++) {
    const user = await prisma.user.create({
      data: {
        email: `backup-${u}-${randomBytes(3).toString('hex')}@example.com`,
        passwordHash: 'x',
        mfaSecretEnc: encryptSecret('JBSWY3DPEHPK3PXP', [v1]),
      },
    });
    const project = await prisma.project.create({ data: { ownerId: user.id, name: `Project ${u}` } });
    await prisma.llmRequest.createMany({
      data: Array.from({ length: 40 }, (_, i) => ({
        id: randomUUID(),
        projectId: project.id,
        model: 'gpt-4o-mini',
        effectiveModel: 'gpt-4o-mini',
        prompt: i === 0 ? SECRET_PROMPT : `prompt ${i} with "quotes", tabs\tand\nnewlines`,
        response: i % 3 ? 'ok' : null,
        latencyMs: 100 + i,
        riskScore: i % 100,
        riskLevel: 'low' as const,
        riskFlags: i % 2 ? ['prompt_injection', 'pii'] : [],
        decision: 'allow' as const,
        metadata: { i, nested: { ok: true } },
        costUsd: i / 1000,
      })),
    });
  }
  await prisma.auditLog.createMany({ data: Array.from({ length: 25 }, (_, i) => ({ action: `test.${i}` })) });
}

function options(overrides: Partial<BackupOptions> = {}): BackupOptions {
  return { databaseUrl, dir, retention: 7, keys, method: 'builtin', ...overrides };
}

beforeAll(async () => {
  const db = await createDatabase();
  drops.push(db.drop);
  databaseUrl = db.url;
  prisma = createPrisma(db.url, 3);
  dir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-backup-test-'));
  await seed();
});

afterAll(async () => {
  await prisma?.$disconnect();
  for (const drop of drops) await drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('backups (built-in format)', () => {
  it('should write a backup file that is neither plaintext nor bare gzip, readable by its owner only', async () => {
    const result = await createBackup(options());
    const bytes = await readFile(result.file);
    expect(path.basename(result.file)).toMatch(/^llmguard-backup-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.lgbk$/);
    expect(result).toMatchObject({ method: 'builtin', rows: 3 + 3 + 120 + 25 });
    expect(bytes.includes(Buffer.from(SECRET_PROMPT.slice(0, 20)))).toBe(false);
    expect(bytes.includes(Buffer.from('gpt-4o-mini'))).toBe(false);
    expect(bytes.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))).toBe(false);
    expect(bytes.subarray(0, 7).toString('latin1')).toBe('LLMGBAK');
    expect((await stat(result.file)).mode & 0o777).toBe(0o600);
  });

  it('should verify the newest backup: restored counts equal the manifest, scratch database dropped', async () => {
    await createBackup(options());
    const report = await verifyBackup({ databaseUrl, dir, keys });
    expect(report.ok).toBe(true);
    expect(report.migrationsMatch).toBe(true);
    const byTable = Object.fromEntries(report.rows.map((r) => [r.table, r]));
    expect(byTable.llm_requests).toMatchObject({ atDump: 120, archived: 120, restored: 120, ok: true });
    expect(byTable.audit_logs).toMatchObject({ atDump: 25, archived: 25, restored: 25, ok: true });
    expect(byTable.users).toMatchObject({ atDump: 3, restored: 3 });
    expect(byTable._prisma_migrations).toBeUndefined();
    const left = await prisma.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM pg_database WHERE datname = ${report.scratchDatabase}`;
    expect(left[0]?.n).toBe(0);
  });

  it('should restore the data itself: text, arrays, JSON, the rebuilt search column and sequences', async () => {
    const { file } = await createBackup(options());
    const target = await createDatabase(false);
    drops.push(target.drop);
    await restoreBackup(file, { targetUrl: target.url, keys });
    const restored = createPrisma(target.url, 2);
    try {
      const original = await prisma.llmRequest.findMany({ orderBy: { id: 'asc' } });
      expect(await restored.llmRequest.findMany({ orderBy: { id: 'asc' } })).toEqual(original);
      // `search` is not in the archive: the restored database computes it again (English + German stems)
      const hits = await restored.$queryRaw<{ n: number }[]>`
        SELECT count(*)::int AS n FROM llm_requests WHERE search @@ plainto_tsquery('english', 'previous instructions')`;
      expect(hits[0]?.n).toBe(3);
      const maxId = (await prisma.auditLog.aggregate({ _max: { id: true } }))._max.id ?? 0n;
      const next = await restored.auditLog.create({ data: { action: 'after.restore' } });
      expect(next.id).toBeGreaterThan(maxId);
    } finally {
      await restored.$disconnect();
    }
  });

  it('should refuse to restore into a database that already has tables', async () => {
    const { file } = await createBackup(options());
    await expect(restoreBackup(file, { targetUrl: databaseUrl, keys })).rejects.toThrow(/empty database/);
  });

  it('should keep only the newest BACKUP_RETENTION_COUNT backups, deleting the oldest', async () => {
    const retentionDir = await mkdtemp(path.join(os.tmpdir(), 'llmguard-retention-'));
    try {
      const first = await createBackup(options({ dir: retentionDir, retention: 2 }));
      const second = await createBackup(options({ dir: retentionDir, retention: 2 }));
      const third = await createBackup(options({ dir: retentionDir, retention: 2 }));
      expect(third.deleted).toEqual([first.file]);
      expect((await readdir(retentionDir)).sort()).toEqual([second.file, third.file].map((f) => path.basename(f)));
    } finally {
      await rm(retentionDir, { recursive: true, force: true });
    }
  });

  it('should refuse a tampered backup with an authentication error', async () => {
    const { file } = await createBackup(options());
    const bytes = await readFile(file);
    const middle = Math.floor(bytes.length / 2);
    bytes.writeUInt8((bytes.readUInt8(middle) ^ 0x01) & 0xff, middle);
    const tampered = path.join(dir, 'tampered.lgbk');
    await writeFile(tampered, bytes);
    await expect(verifyBackup({ databaseUrl, file: tampered, keys })).rejects.toThrow(/failed authentication/);
  });

  it('should refuse a truncated backup', async () => {
    const { file } = await createBackup(options());
    const bytes = await readFile(file);
    const truncated = path.join(dir, 'truncated.lgbk');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 40));
    await expect(verifyBackup({ databaseUrl, file: truncated, keys })).rejects.toThrow(/truncated|damaged/);
  });

  it('should open an old backup after the key ring was rotated, and name the key when it is gone', async () => {
    const { file } = await createBackup(options());
    const rotated: BackupKeys = { encryption: [v1, key('v2')] };
    expect((await verifyBackup({ databaseUrl, file, keys: rotated })).ok).toBe(true);
    const v1Removed: BackupKeys = { encryption: [key('v2')] };
    await expect(verifyBackup({ databaseUrl, file, keys: v1Removed })).rejects.toThrow(/ENCRYPTION_KEYS key "v1"/);
  });

  it('should encrypt with BACKUP_ENCRYPTION_KEY when one is configured', async () => {
    const b1 = key('b1');
    const { file } = await createBackup(options({ keys: { backup: [b1], encryption: [v1] } }));
    await expect(verifyBackup({ databaseUrl, file, keys })).rejects.toThrow(/BACKUP_ENCRYPTION_KEY key "b1"/);
    expect((await verifyBackup({ databaseUrl, file, keys: { backup: [b1], encryption: [] } })).ok).toBe(true);
  });
});

describe('backup verification report', () => {
  it('should flag a table whose restored count differs from the count at dump time', () => {
    const manifest = {
      format: 1 as const,
      createdAt: '',
      method: 'builtin' as const,
      serverVersion: '18',
      database: 'x',
      migrations: [],
      sequences: [],
      tables: [
        { name: 'users', rows: 3 },
        { name: 'projects', rows: 2 },
      ],
    };
    const rows = compareCounts(
      manifest,
      new Map([
        ['users', 3],
        ['projects', 2],
      ]),
      new Map([
        ['users', 3],
        ['projects', 1],
      ]),
    );
    expect(rows.map((r) => r.ok)).toEqual([true, false]);
  });
});

describe('backups (pg_dump format)', () => {
  it('should use pg_dump when its major version can dump the server, and verify', async (ctx) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    await client.end();
    const tool = await findPgTools();
    if (!tool || tool.major < Math.floor(Number(rows[0]?.v) / 10_000)) ctx.skip(); // e.g. pg_dump 15 vs server 18
    const result = await createBackup(options({ method: 'auto' }));
    expect(result.method).toBe('pg_dump');
    expect((await readFile(result.file)).includes(Buffer.from(SECRET_PROMPT.slice(0, 20)))).toBe(false);
    const report = await verifyBackup({ databaseUrl, file: result.file, keys });
    expect(report.rows.every((r) => r.ok && r.archived === null)).toBe(true);
    expect(report.ok).toBe(true);
  });
});
