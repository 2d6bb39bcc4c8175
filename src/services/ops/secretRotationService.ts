/**
 * Re-encrypts every secret column under the newest ENCRYPTION_KEYS entry, after a key was
 * appended to the ring. Rows are taken in primary-key order in batches, each batch in its own
 * transaction, skipping values already under the newest key, so an interrupted run resumes
 * where it stopped and a second run changes nothing. Old keys can be removed afterwards.
 */
import pg from 'pg';
import { env } from '../../config/env.js';
import { type KeyRingEntry, decryptSecret, encryptSecret } from '../../utils/crypto.js';

/**
 * Every column holding a secret encrypted with utils/crypto (a test keeps this list complete).
 * `keyIdColumn`: a column beside it naming the ring version that encrypted it, kept in step.
 */
export const SECRET_COLUMNS: readonly SecretColumn[] = [
  { table: 'users', column: 'mfaSecretEnc' },
  { table: 'projects', column: 'datadogWebhookSecretEnc' },
  { table: 'projects', column: 'alertWebhookSecretEnc' },
  // The gateway's provider keys: their data keys (envelope encryption) are re-encrypted.
  { table: 'provider_secrets', column: 'dataKeyEnc', keyIdColumn: 'keyId' },
];

export interface SecretColumn {
  table: string;
  column: string;
  keyIdColumn?: string;
}

export interface RotationProgress {
  table: string;
  column: string;
  rotated: number;
}

export interface RotationOptions {
  databaseUrl: string;
  /** the key ring; its last entry is the target key */
  ring?: KeyRingEntry[];
  batchSize?: number;
  /** stop after the current batch (a later run resumes) */
  signal?: AbortSignal;
  onProgress?: (progress: RotationProgress) => void;
}

export interface ColumnReport {
  table: string;
  column: string;
  /** values re-encrypted by this run */
  rotated: number;
  /** non-null values, and how many of them are under the newest key after this run */
  total: number;
  current: number;
}

export interface RotationReport {
  keyVersion: string;
  columns: ColumnReport[];
  /** false when stopped by the signal before every column was done */
  completed: boolean;
}

const q = (name: string) => pg.escapeIdentifier(name);

/** Re-encrypts one batch; returns the last id handled, or undefined when nothing was left. */
async function rotateBatch(
  client: pg.Client,
  target: SecretColumn,
  ring: KeyRingEntry[],
  prefix: string,
  afterId: string,
  batchSize: number,
): Promise<{ lastId: string; count: number } | undefined> {
  const [table, column] = [q(target.table), q(target.column)];
  await client.query('BEGIN');
  try {
    // FOR UPDATE: a concurrent write of the same secret (e.g. a new MFA setup) waits for this batch.
    const { rows } = await client.query<{ id: string; value: string }>(
      `SELECT id, ${column} AS value FROM ${table}
       WHERE ${column} IS NOT NULL AND NOT starts_with(${column}, $1) AND id > $2
       ORDER BY id LIMIT $3 FOR UPDATE`,
      [prefix, afterId, batchSize],
    );
    const last = rows.at(-1);
    if (!last) {
      await client.query('COMMIT');
      return undefined;
    }
    const values = rows.map((row) => {
      try {
        return encryptSecret(decryptSecret(row.value, ring), ring);
      } catch (err) {
        throw new Error(`${target.table}.${target.column} of row ${row.id}: ${(err as Error).message}`, { cause: err });
      }
    });
    const keyId = target.keyIdColumn ? `, ${q(target.keyIdColumn)} = split_part(v.value, ':', 1)` : '';
    await client.query(
      `UPDATE ${table} AS t SET ${column} = v.value${keyId} FROM unnest($1::text[], $2::text[]) AS v(id, value)
       WHERE t.id = v.id`,
      [rows.map((r) => r.id), values],
    );
    await client.query('COMMIT');
    return { lastId: last.id, count: rows.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function columnCounts(client: pg.Client, target: { table: string; column: string }, prefix: string) {
  const column = q(target.column);
  const { rows } = await client.query<{ total: number; current: number }>(
    `SELECT count(${column})::int AS total, (count(*) FILTER (WHERE starts_with(${column}, $1)))::int AS current
     FROM ${q(target.table)}`,
    [prefix],
  );
  return rows[0] ?? { total: 0, current: 0 };
}

/** Re-encrypts every secret not yet under the newest key of `ring`; see the module comment. */
export async function rotateSecrets(options: RotationOptions): Promise<RotationReport> {
  const ring = options.ring ?? env.ENCRYPTION_KEYS;
  const newest = ring[ring.length - 1];
  if (!newest) throw new Error('the encryption key ring is empty');
  const prefix = `${newest.version}:`;
  const batchSize = options.batchSize ?? 500;
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  const columns: ColumnReport[] = [];
  try {
    for (const target of SECRET_COLUMNS) {
      let rotated = 0;
      let afterId = '';
      while (!options.signal?.aborted) {
        const batch = await rotateBatch(client, target, ring, prefix, afterId, batchSize);
        if (!batch) break;
        afterId = batch.lastId;
        rotated += batch.count;
        options.onProgress?.({ table: target.table, column: target.column, rotated });
      }
      columns.push({
        table: target.table,
        column: target.column,
        rotated,
        ...(await columnCounts(client, target, prefix)),
      });
      if (options.signal?.aborted) return { keyVersion: newest.version, columns, completed: false };
    }
  } finally {
    await client.end();
  }
  return { keyVersion: newest.version, columns, completed: true };
}
