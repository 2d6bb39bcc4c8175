/**
 * Ingestion: the guard, the assessment, group commit, the search index and rollups. Part of the
 * environment schema (env.ts).
 */
import { z } from 'zod';
import { booleanish } from './envFields.js';

export const ingestFields = {
  /** The injection classifier's model file (npm run train:guard); unset: models/guard-model.bin of this checkout. */
  GUARD_MODEL_PATH: z.string().min(1).optional(),
  /**
   * Worker threads that score the prompts and responses of large exchanges (over 64K characters)
   * beside the request thread; unset: one per core but one (at least 2, at most 4); 0: none.
   */
  ASSESSMENT_WORKERS: z.coerce.number().int().min(0).max(16).optional(),
  /** The nice value of those threads (0-19): above 0 they yield the CPU to the request thread. */
  ASSESSMENT_WORKER_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /**
   * The nice value (1-19) of the PostgreSQL backend that builds large rows' search vectors after
   * their commit, and of its scheduling group, where the database runs on this machine
   * (services/ingest/searchFillConnection.ts); 0: those fills share Prisma's pool.
   */
  SEARCH_FILL_NICE: z.coerce.number().int().min(0).max(19).default(19),
  /**
   * Score a generic large exchange before listening (about two seconds of CPU), so the first large
   * request does not pay for compiling the detectors (services/ingest/assessmentWarmup.ts).
   */
  ASSESSMENT_WARMUP: booleanish.default(true),
  /**
   * Run the request paths' database lookups (API key, project, plan, provider) before listening,
   * so the first calls do not pay for Prisma compiling them (services/requestWarmup.ts).
   */
  QUERY_WARMUP: booleanish.default(true),
  /**
   * With QUERY_WARMUP: grow the heap of the ingest connection the first batch takes to what the
   * largest row needs (about 100 MiB, 0.35 s), so the first large call does not fault it in
   * (services/requestWarmup.ts BACKEND_HEAP_WARMUP_SQL). `auto`: on the embedded PostgreSQL, whose
   * allocator settings keep that memory; `true` for a server given the same settings.
   */
  DATABASE_HEAP_WARMUP: z.enum(['auto', 'true', 'false']).default('auto'),
  /** POST /llm/request on its direct path (src/routes/ingestFastPath.ts); false = through Express. */
  INGEST_FAST_PATH: booleanish.default(true),
  /** Group commit: a batch waits at most this long, holds at most this many rows. */
  INGEST_MAX_WAIT_MS: z.coerce.number().int().min(0).max(1000).default(2),
  INGEST_MAX_BATCH: z.coerce.number().int().min(1).max(5000).default(500),
  /** Rows accepted but not committed beyond which /llm/request answers 503 (backpressure). */
  INGEST_MAX_QUEUE: z.coerce.number().int().min(1).default(10_000),
  /** Batches committing at once, each on its own connection of a dedicated pool. */
  INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /**
   * The log search index's pending list is merged (on its own connection) after this many
   * characters of committed prompt and response text; 0 leaves it to PostgreSQL, which makes
   * the insert that fills the list do it (services/ingest/searchIndexUpkeep.ts).
   */
  SEARCH_INDEX_CLEANUP_CHARS: z.coerce.number().int().min(0).default(250_000),
  /** Committed batches' rollup sums are buffered this long, then applied with one upsert. */
  ROLLUP_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(250),
};
