import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '../../src/db/prisma.js';
import { SECRET_COLUMNS, rotateSecrets } from '../../src/services/ops/secretRotationService.js';
import { openProviderKey, sealProviderKey } from '../../src/services/gateway/providerKeys.js';
import { decryptSecret, encryptSecret, keyVersionOf } from '../../src/utils/crypto.js';
import { createDatabase } from '../helpers/testDb.js';

const v1 = { version: 'v1', key: randomBytes(32) };
const v2 = { version: 'v2', key: randomBytes(32) };
const USERS = 60;

let prisma: PrismaClient;
let databaseUrl: string;
let drop: () => Promise<void>;
/** plaintext of every secret, by `table.column:id` */
const plaintexts = new Map<string, string>();
/** plaintext provider key of every provider_secrets row, by id */
const providerKeys = new Map<string, string>();

/** Every secret column value, as [table.column:id, ciphertext]. */
async function storedSecrets(): Promise<[string, string][]> {
  const users = await prisma.user.findMany({ select: { id: true, mfaSecretEnc: true } });
  const projects = await prisma.project.findMany({
    select: { id: true, datadogWebhookSecretEnc: true, alertWebhookSecretEnc: true },
  });
  const out: [string, string | null][] = [
    ...users.map((u): [string, string | null] => [`users.mfaSecretEnc:${u.id}`, u.mfaSecretEnc]),
    ...projects.flatMap((p): [string, string | null][] => [
      [`projects.datadogWebhookSecretEnc:${p.id}`, p.datadogWebhookSecretEnc],
      [`projects.alertWebhookSecretEnc:${p.id}`, p.alertWebhookSecretEnc],
    ]),
  ];
  return out.filter((e): e is [string, string] => e[1] !== null);
}

beforeAll(async () => {
  const db = await createDatabase();
  drop = db.drop;
  databaseUrl = db.url;
  prisma = createPrisma(db.url, 3);
  for (let i = 0; i < USERS; i++) {
    const mfa = `TOTP${randomBytes(10).toString('hex').toUpperCase()}`;
    const user = await prisma.user.create({
      data: {
        email: `rotate-${i}-${randomBytes(3).toString('hex')}@example.com`,
        passwordHash: 'x',
        // every third user has no MFA secret: NULLs must stay NULL
        mfaSecretEnc: i % 3 === 0 ? null : encryptSecret(mfa, [v1]),
      },
    });
    if (i % 3 !== 0) plaintexts.set(`users.mfaSecretEnc:${user.id}`, mfa);
    if (i % 4 === 0) {
      const dd = `dd-secret-${randomBytes(8).toString('hex')}`;
      const alert = `alert-secret-${randomBytes(8).toString('hex')}`;
      const project = await prisma.project.create({
        data: {
          ownerId: user.id,
          name: `P${i}`,
          datadogWebhookSecretEnc: encryptSecret(dd, [v1]),
          alertWebhookSecretEnc: i % 8 === 0 ? encryptSecret(alert, [v1]) : null,
        },
      });
      plaintexts.set(`projects.datadogWebhookSecretEnc:${project.id}`, dd);
      if (i % 8 === 0) plaintexts.set(`projects.alertWebhookSecretEnc:${project.id}`, alert);
      // a gateway provider with two key versions (envelope-encrypted under v1)
      const keys = [`sk-old-${randomBytes(8).toString('hex')}`, `sk-new-${randomBytes(8).toString('hex')}`];
      const provider = await prisma.provider.create({
        data: {
          projectId: project.id,
          name: 'default',
          kind: 'openai',
          activeVersion: 2,
          secrets: { create: keys.map((k, v) => ({ version: v + 1, ...sealProviderKey(k, [v1]) })) },
        },
        include: { secrets: true },
      });
      for (const secret of provider.secrets) providerKeys.set(secret.id, keys[secret.version - 1]!);
    }
  }
});

afterAll(async () => {
  await prisma?.$disconnect();
  await drop?.();
});

describe('secret rotation', () => {
  it('should list every *Enc column of the schema (none is left out of rotation)', async () => {
    const rows = await prisma.$queryRaw<{ table: string; column: string }[]>`
      SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name LIKE '%Enc' ORDER BY 1, 2`;
    const listed = [...SECRET_COLUMNS].sort((a, b) => `${a.table}.${a.column}`.localeCompare(`${b.table}.${b.column}`));
    expect(rows).toEqual(listed.map((c) => ({ table: c.table, column: c.column })));
  });

  it('should resume where an interrupted run stopped', async () => {
    const stop = new AbortController();
    const first = await rotateSecrets({
      databaseUrl,
      ring: [v1, v2],
      batchSize: 7,
      signal: stop.signal,
      onProgress: () => stop.abort(), // stop after the first batch
    });
    expect(first.completed).toBe(false);
    expect(first.columns).toEqual([expect.objectContaining({ table: 'users', rotated: 7 })]);
    const underV2 = (await storedSecrets()).filter(([, c]) => keyVersionOf(c) === 'v2');
    expect(underV2).toHaveLength(7);
  });

  it('should re-encrypt every secret under the newest key, each decrypting to its original', async () => {
    const report = await rotateSecrets({ databaseUrl, ring: [v1, v2], batchSize: 7 });
    expect(report.completed).toBe(true);
    expect(report.keyVersion).toBe('v2');
    const byColumn = Object.fromEntries(report.columns.map((c) => [`${c.table}.${c.column}`, c]));
    expect(byColumn['users.mfaSecretEnc']).toMatchObject({ rotated: 40 - 7, total: 40, current: 40 });
    expect(byColumn['projects.datadogWebhookSecretEnc']).toMatchObject({ rotated: 15, total: 15, current: 15 });
    expect(byColumn['projects.alertWebhookSecretEnc']).toMatchObject({ rotated: 8, total: 8, current: 8 });
    expect(byColumn['provider_secrets.dataKeyEnc']).toMatchObject({ rotated: 30, total: 30, current: 30 });
    const secrets = await prisma.providerSecret.findMany();
    expect(secrets).toHaveLength(providerKeys.size);
    for (const secret of secrets) {
      expect(secret.keyId).toBe('v2');
      expect(keyVersionOf(secret.dataKeyEnc!)).toBe('v2');
      expect(openProviderKey(secret, [v2])).toBe(providerKeys.get(secret.id));
    }
    const stored = await storedSecrets();
    expect(stored).toHaveLength(plaintexts.size);
    for (const [where, ciphertext] of stored) {
      expect(ciphertext.startsWith('v2:')).toBe(true);
      expect(decryptSecret(ciphertext, [v2])).toBe(plaintexts.get(where)); // v1 is no longer needed
    }
  });

  it('should change nothing when run again', async () => {
    const before = await storedSecrets();
    const report = await rotateSecrets({ databaseUrl, ring: [v1, v2] });
    expect(report.columns.map((c) => c.rotated)).toEqual([0, 0, 0, 0]);
    expect(await storedSecrets()).toEqual(before);
  });

  it('should never store a secret in plaintext anywhere in the users and projects rows', async () => {
    const rows = await prisma.$queryRaw<{ row: string }[]>`
      SELECT u::text AS row FROM users u UNION ALL SELECT p::text FROM projects p`;
    const everything = rows.map((r) => r.row).join('\n');
    for (const secret of plaintexts.values()) expect(everything.includes(secret)).toBe(false);
  });

  it('should stop with the row named when a value was encrypted with a key missing from the ring', async () => {
    const user = await prisma.user.create({
      data: { email: `orphan-${randomBytes(3).toString('hex')}@example.com`, passwordHash: 'x' },
    });
    const v0 = { version: 'v0', key: randomBytes(32) };
    await prisma.user.update({ where: { id: user.id }, data: { mfaSecretEnc: encryptSecret('LOST', [v0]) } });
    await expect(rotateSecrets({ databaseUrl, ring: [v1, v2] })).rejects.toThrow(
      `users.mfaSecretEnc of row ${user.id}: no encryption key with version "v0"`,
    );
    expect(keyVersionOf((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).mfaSecretEnc ?? '')).toBe(
      'v0',
    );
  });
});
