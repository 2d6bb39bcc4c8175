/**
 * Worker threads for the prompt's and the response's shares of large assessments.
 *
 * A crafted megabyte of prompt costs 40-70 ms to score and its response another 10-30 ms, one
 * after the other on the request thread (sliced, so others get through, but the call itself
 * waits for the sum). With each share scored on a worker thread, the call waits for the longer
 * of the two, and the request thread keeps only the parsing, the decision and the write: what
 * scoring allocates (a crafted megabyte: 40-100 MB of match arrays and copies) is collected on
 * the workers' heaps, whose pauses hold no other request. The work is the same code
 * (riskShares.ts promptRiskSteps, responseRiskSteps), so the result is the same.
 *
 * The threads run at a lower priority than the request thread (nice 10 by default,
 * `ASSESSMENT_WORKER_NICE`; piscina's niceIncrement with @napi-rs/nice): on two cores, two busy
 * threads at the request thread's priority left it half a core, and `/healthz` waited for it.
 *
 * The pool (piscina) is made on first use, or at start-up by `warm()`, with its threads kept
 * alive. A worker that cannot start or fails a task costs nothing but the time: the caller
 * scores that share on its own thread, as without workers. `ASSESSMENT_WORKERS=0` turns the
 * workers off.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import { Piscina } from 'piscina';
import { errorText } from '../../db/backoff.js';
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import type { StoredMessage } from '../../domain/chat/messages.js';
import { type MessagePii, separateMessages } from '../../domain/risk/chatRisk.js';
import type { PromptRisk, ResponseRisk } from '../../domain/risk/riskScoring.js';
import type { AssessmentShare, AssessmentTask, AssessmentWorkerData, ThreadStatus } from './assessmentTasks.js';
import { packTexts, packTransferables, textToWire, transferablesOf } from './wireText.js';
import { messagePiiFrom, promptRiskFrom, promptRiskFromHalves, responseRiskFrom } from './workerShares.js';

/**
 * Threads when not configured: one per core but one, at least two (a large exchange's prompt
 * and response are scored at once) and at most four. They run below the request thread's
 * priority (DEFAULT_WORKER_NICE), so on a small box they take what the request thread and the
 * database leave.
 */
export function defaultAssessmentThreads(): number {
  return Math.max(2, Math.min(4, availableParallelism() - 1));
}

/**
 * The threads' nice value when not configured (ASSESSMENT_WORKER_NICE): the request thread
 * (nice 0) gets the CPU first whenever it has work, a thread at 10 about a tenth of a core it
 * shares with a busy one, so scoring still moves on a saturated box.
 */
export const DEFAULT_WORKER_NICE = 10;

/**
 * tsx's ESM hooks, registered in a worker thread. From source a worker needs them to load
 * TypeScript, and on Node 20 tsx's `--import tsx` registers its ESM hooks on the main thread
 * only: in a worker just its CommonJS hook is left, which compiles every module into CommonJS,
 * where each imported binding is a getter call (scoring 2-3x slower, measured). piscina
 * require()s a file first; with no CommonJS hook that fails on TypeScript and piscina imports it.
 */
function tsxEsmHooks(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const api = pathToFileURL(path.resolve(path.dirname(pkgFile), pkg.exports['./esm/api']!.import.default)).href;
  return `data:text/javascript,import{register}from${JSON.stringify(api)};register()`;
}

/**
 * The worker's file beside this one (JavaScript when built, TypeScript from source) and its node
 * options: none of the process's own (some are refused in a worker, e.g. --single-threaded-gc,
 * and a refused option would fail every task), only tsx's hooks from source.
 */
function workerFile(): { filename: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = fileURLToPath(new URL(`./assessmentWorker.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  return { filename, execArgv: fromSource ? ['--import', tsxEsmHooks()] : [] };
}

/**
 * Prompts longer than this (characters: longer than a `prompt` may be, so chat messages of over
 * 1 MB) are scored as two tasks on two threads (promptRiskInHalves) when the pool has two. A 2 MB
 * message's share took one thread 90-220 ms while the response's thread finished in 20-50: in
 * halves the chat call's assessment took 89-160 ms against 117-217 (bench:adversarial, two runs
 * each in alternation). A 1 MB prompt gains nothing measurable: its response keeps the other
 * thread busy about as long.
 */
export const SPLIT_PROMPT_CHARS = 1024 * 1024;

/**
 * A task that waits longer than this (queued and run) is given up and the prompt scored on the
 * request thread: a task takes well under 100 ms and the queue holds at most 64 per thread.
 */
export const WORKER_TASK_TIMEOUT_MS = 10_000;

export interface AssessmentWorkersOptions {
  logger?: Logger;
  /** the threads' nice value (0-19, Linux and macOS: see piscina's niceIncrement); default DEFAULT_WORKER_NICE */
  nice?: number;
  /** the worker module (tests give a broken one); default: assessmentWorker beside this file */
  filename?: string;
}

export class AssessmentWorkers {
  #pool: Piscina<AssessmentTask, AssessmentShare> | undefined;
  /**
   * A thread could not start or died outside a task: from then on prompts are scored on the
   * request thread (piscina leaves the tasks queued behind a thread that failed to load waiting
   * for good, so nothing more is posted, and those waiting are called off).
   */
  #broken = false;
  #warned = false;
  readonly #waiting = new Set<AbortController>();

  constructor(
    readonly guard: InjectionGuard | null,
    readonly threads: number,
    private readonly options: AssessmentWorkersOptions = {},
  ) {}

  get nice(): number {
    return this.options.nice ?? DEFAULT_WORKER_NICE;
  }

  get enabled(): boolean {
    return this.threads > 0 && !this.#broken;
  }

  /** Starts the threads now rather than on the first large prompt (a failure is logged, never thrown). */
  warm(): void {
    if (this.enabled) this.pool();
  }

  /** The pool, made on first use; undefined once broken. */
  private pool(): Piscina<AssessmentTask, AssessmentShare> | undefined {
    if (this.#broken) return undefined;
    if (this.#pool) return this.#pool;
    try {
      const { filename, execArgv } = workerFile();
      this.#pool = new Piscina<AssessmentTask, AssessmentShare>({
        filename: this.options.filename ?? filename,
        execArgv,
        minThreads: this.threads,
        maxThreads: this.threads,
        idleTimeout: Number.MAX_SAFE_INTEGER,
        workerData: { guard: this.guard } satisfies AssessmentWorkerData,
        // Assessments arrive one per large request; waiting in the queue beats an unbounded pile.
        maxQueue: 64 * this.threads,
        // Below the request thread (and the database): a crafted megabyte is background work.
        niceIncrement: this.nice,
      });
    } catch (err) {
      this.breakDown(err);
      return undefined;
    }
    // Errors outside a task (a thread that cannot load its module, or died): see #broken.
    this.#pool.on('error', (err: unknown) => this.breakDown(err));
    return this.#pool;
  }

  private breakDown(err: unknown): void {
    this.#broken = true;
    this.warnOnce(err);
    for (const waiting of this.#waiting) waiting.abort();
    const pool = this.#pool;
    this.#pool = undefined;
    void pool?.destroy().catch(() => undefined);
  }

  private warnOnce(err: unknown): void {
    if (this.#warned) return;
    this.#warned = true;
    this.options.logger?.warn(
      { err: errorText(err) },
      'assessment worker failed; large prompts are scored on the request thread',
    );
  }

  /**
   * The prompt's share scored on a worker (`redact`: the redacted prompt too, when anything was
   * found); null when no worker could do it (the caller scores it itself). Never rejects.
   */
  async promptRisk(prompt: string, redact: boolean): Promise<PromptRisk | null> {
    if (prompt.length > SPLIT_PROMPT_CHARS && this.threads >= 2) return this.promptRiskInHalves(prompt, redact);
    const share = await this.run({ kind: 'prompt', prompt: textToWire(prompt), redact });
    return share?.kind === 'prompt' ? promptRiskFrom(prompt, this.guard, share) : null;
  }

  /**
   * promptRisk of a very large prompt: its PII half (the scan, the encoded-payload check that
   * reads it, the redaction) and its rules half (the rules, the de-obfuscation, the model) posted
   * as two tasks, so two threads share what one thread did alone (riskShares.ts promptRiskOf
   * joins them into the same share). Null when either could not be scored.
   */
  private async promptRiskInHalves(prompt: string, redact: boolean): Promise<PromptRisk | null> {
    const [pii, rules] = await Promise.all([
      this.run({ kind: 'promptPii', prompt: textToWire(prompt), redact }),
      this.run({ kind: 'promptRules', prompt: textToWire(prompt) }),
    ]);
    if (pii?.kind !== 'promptPii' || rules?.kind !== 'promptRules') return null;
    return promptRiskFromHalves(prompt, this.guard, pii, rules);
  }

  /**
   * The response's share scored on a worker, checked against `systemPrompt` for a leak
   * (`redact`: the redacted response too, when anything was found); null when no worker could
   * do it (the caller scores it itself). Never rejects.
   */
  async responseRisk(response: string, systemPrompt: string | null, redact: boolean): Promise<ResponseRisk | null> {
    const share = await this.run({ kind: 'response', response: textToWire(response), systemPrompt, redact });
    return share?.kind === 'response' ? responseRiskFrom(response, systemPrompt, share) : null;
  }

  /**
   * The PII halves of a chat call's messages not scored apart (chatRisk.ts sharedMessagePiiSteps,
   * one shared budget in order), scored on a worker while the request thread scores their rules
   * halves; null when no worker could do it (the caller scores them itself). Never rejects.
   * `apart`: the messages scored apart (separateMessages), when the caller knows them already.
   */
  async messagesPii(
    messages: readonly StoredMessage[],
    redact: boolean,
    apart: ReadonlySet<StoredMessage> = separateMessages(messages),
  ): Promise<(MessagePii | undefined)[] | null> {
    const shared = messages.filter((m) => !apart.has(m));
    // In one go (2 MB: 7-12 ms): in slices, the task was posted turns later, on the call's longest path.
    const contents = packTexts(shared.map((m) => m.content));
    const share = await this.run({ kind: 'messagesPii', roles: shared.map((m) => m.role), contents, redact });
    return share?.kind === 'messagesPii' ? messagePiiFrom(messages, apart, share) : null;
  }

  /** How the thread that takes this task stands (its priority); null when none could answer. */
  async status(): Promise<ThreadStatus | null> {
    const share = await this.run({ kind: 'status' });
    return share?.kind === 'status' ? share : null;
  }

  /** The task run on a worker; null when none could run it. Never rejects. */
  private async run(task: AssessmentTask): Promise<AssessmentShare | null> {
    const pool = this.enabled ? this.pool() : undefined;
    if (!pool) return null;
    const waiting = new AbortController();
    const timer = setTimeout(() => waiting.abort(), WORKER_TASK_TIMEOUT_MS);
    this.#waiting.add(waiting);
    try {
      const transferList =
        task.kind === 'messagesPii'
          ? packTransferables(task.contents)
          : transferablesOf(task.kind === 'response' ? task.response : 'prompt' in task ? task.prompt : null);
      return await pool.run(task, { signal: waiting.signal, transferList });
    } catch (err) {
      // a task's own failure (or its time-out) costs only this task; the pool's are handled in breakDown
      if (!waiting.signal.aborted || !this.#broken) this.warnOnce(err);
      return null;
    } finally {
      clearTimeout(timer);
      this.#waiting.delete(waiting);
    }
  }

  /** Shares (prompts and responses) the workers have scored (tests: the worker path was taken). */
  get completed(): number {
    return this.#pool?.completed ?? 0;
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.destroy();
  }
}

/**
 * The workers of each guard in use (a process has one, the loaded model; tests make others),
 * made with the options `configureAssessmentWorkers` set (threads: ASSESSMENT_WORKERS, else the
 * default).
 */
const byGuard = new Map<InjectionGuard | null, AssessmentWorkers>();
let configured: { threads?: number } & AssessmentWorkersOptions = {};

/** Sets the options of the workers made from now on (the server's wiring, at start-up). */
export function configureAssessmentWorkers(options: { threads?: number } & AssessmentWorkersOptions): void {
  configured = { ...options };
}

/** The workers that score prompts and responses for `guard`, made on first use. */
export function assessmentWorkersFor(guard: InjectionGuard | null): AssessmentWorkers {
  let workers = byGuard.get(guard);
  if (!workers) {
    const { threads, ...options } = configured;
    workers = new AssessmentWorkers(guard, threads ?? defaultAssessmentThreads(), options);
    byGuard.set(guard, workers);
  }
  return workers;
}

/** Stops every worker thread (shutdown); later large prompts start them again. */
export async function closeAssessmentWorkers(): Promise<void> {
  const all = [...byGuard.values()];
  byGuard.clear();
  await Promise.all(all.map((w) => w.close()));
}
