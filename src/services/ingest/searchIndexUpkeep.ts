/**
 * Keeps the log search index's pending list short, off the ingestion path.
 *
 * A GIN index (here `llm_requests_search_idx`, the tsvector of every row) takes new entries into
 * an unsorted pending list, which is cheap, and merges that list into the index proper once it
 * exceeds `gin_pending_list_limit` (4 MB by default). The merge is done by whichever insert
 * crosses the limit: the batch that happens to do it commits tens of milliseconds late, and so
 * do the 201s of everyone in it (bench:ingest: p99 37-48 ms with those merges, 15-19 ms without).
 * Vacuum merges the list too, but autovacuum reaches a large table far too rarely.
 *
 * So the server merges it itself, on its own connection, after every `cleanupChars` characters
 * of committed prompt and response text (SEARCH_INDEX_CLEANUP_CHARS, default 250,000: on the
 * benchmark's rows, about 500 rows and 120 pending pages, an 8 ms merge; 1,000,000 made 22 ms
 * merges that still held up a batch now and then): inserts never find the list full, and
 * searches (which read the whole pending list) never find it long. Several replicas may each
 * do it; PostgreSQL runs one merge at a time and a second one finds less to do.
 */
import type { Logger } from 'pino';
import { postgresErrorCode } from '../../db/pgErrors.js';
import { searchIndexCleanups } from '../../observability/metrics.js';
import type { IngestWriter, LlmRequestRow } from './ingestWriter.js';

/** A client or a transaction: one raw query. */
export interface UpkeepDb {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

export const SEARCH_INDEX = 'llm_requests_search_idx';

/**
 * Merges the pending list of the search index, or of each partition's own index when
 * llm_requests is partitioned (a partitioned index has no pending list of its own); the
 * answer is the number of pages moved. $1 is the index name.
 */
export const CLEAN_PENDING_SQL =
  'SELECT coalesce(sum(gin_clean_pending_list(t.relid::regclass)), 0)::int AS pages ' +
  'FROM pg_partition_tree($1::regclass) t WHERE t.isleaf';

export interface SearchIndexUpkeep {
  /** Resolves once the merge under way, if any, has finished. */
  settled(): Promise<void>;
  /** Starts no more merges (shutdown: the database goes next); resolves like settled(). */
  close(): Promise<void>;
  /** merges run, pending-list pages they moved into the index, merges that failed */
  readonly stats: { cleanups: number; pages: number; failures: number };
}

const UPKEEP = Symbol('search index upkeep');

function textChars(rows: LlmRequestRow[]): number {
  let n = 0;
  for (const r of rows) n += r.prompt.length + (r.response?.length ?? 0);
  return n;
}

/**
 * Registers the merge as a post-commit handler of `writer` (once per writer; a second call
 * returns the first registration). `cleanupChars` 0 leaves the pending list to PostgreSQL.
 */
export function registerSearchIndexUpkeep(
  writer: IngestWriter,
  db: UpkeepDb,
  options: { cleanupChars: number; logger?: Logger },
): SearchIndexUpkeep {
  const existing = writer.attachment<SearchIndexUpkeep>(UPKEEP);
  if (existing) return existing;
  const { cleanupChars, logger } = options;
  const stats = { cleanups: 0, pages: 0, failures: 0 };
  let sinceCleanup = 0;
  let running: Promise<void> | undefined;
  let disabled = cleanupChars <= 0;

  async function cleanUntilCaughtUp(): Promise<void> {
    // Text committed while a merge runs is merged by the next one, straight after.
    while (sinceCleanup >= cleanupChars && !disabled) {
      sinceCleanup = 0;
      const started = performance.now();
      try {
        const [row] = await db.$queryRawUnsafe<{ pages: number }[]>(CLEAN_PENDING_SQL, SEARCH_INDEX);
        stats.cleanups++;
        stats.pages += row?.pages ?? 0;
        searchIndexCleanups.observe((performance.now() - started) / 1000);
      } catch (err) {
        stats.failures++;
        // Without the right to maintain the index (another role owns it) retrying cannot help.
        if (postgresErrorCode(err) === '42501') disabled = true;
        logger?.warn(
          { err, disabled },
          disabled
            ? 'search index upkeep turned off: this role may not clean the pending list; PostgreSQL will merge it itself'
            : 'search index pending-list merge failed; the next one will catch up',
        );
      }
    }
  }

  if (!disabled) {
    writer.onCommit((rows) => {
      sinceCleanup += textChars(rows);
      if (sinceCleanup < cleanupChars || running) return;
      running = cleanUntilCaughtUp().finally(() => {
        running = undefined;
      });
    });
  }

  const upkeep: SearchIndexUpkeep = {
    settled: () => running ?? Promise.resolve(),
    close() {
      disabled = true;
      return running ?? Promise.resolve();
    },
    stats,
  };
  return writer.attach(UPKEEP, upkeep);
}
