/**
 * Worker threads for the prompt's share of large assessments.
 *
 * A crafted megabyte of prompt costs 40-70 ms to score and its response another 10-30 ms, one
 * after the other on the request thread (sliced, so others get through, but the call itself
 * waits for the sum). With the prompt scored on a worker thread while the request thread
 * scores the response, the call waits for the longer of the two, and a second core does the
 * rest. The work is the same code (riskScoring.ts promptRiskSteps), so the result is the same.
 *
 * The pool (piscina) is made on first use, or at start-up by `warm()`, with its threads kept
 * alive. A worker that cannot start or fails a task costs nothing but the time: the caller
 * scores the prompt on its own thread, as without workers. `ASSESSMENT_WORKERS=0` turns the
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
import { scanFromData } from '../../domain/risk/pii.js';
import type { PromptRisk } from '../../domain/risk/riskScoring.js';
import type { PromptShare, PromptTask } from './assessmentWorker.js';

/** Threads when not configured: one core is left to the request thread (and the database, on a small box). */
export function defaultAssessmentThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

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

/** Node options followed by a value of their own (as separate arguments), and those that run code. */
const EVALUATES = ['--eval', '-e', '--print', '-p'];
const WITH_VALUE = ['--import', '--require', '-r', '--loader', '--experimental-loader', ...EVALUATES];

/** The worker's file beside this one (JavaScript when built, TypeScript from source) and its node options. */
function workerFile(): { filename: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const filename = fileURLToPath(new URL(`./assessmentWorker.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  if (!fromSource) return { filename, execArgv: process.execArgv };
  const execArgv: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const takesValue = WITH_VALUE.includes(arg);
    const value = takesValue ? (args[i + 1] ?? '') : arg;
    if (takesValue) i++;
    // tsx's own hooks (replaced below) and what a runner evaluates (the worker runs its own file)
    if (value.includes('tsx') || EVALUATES.includes(arg)) continue;
    execArgv.push(...(takesValue ? [arg, value] : [arg]));
  }
  return { filename, execArgv: [...execArgv, '--import', tsxEsmHooks()] };
}

export class AssessmentWorkers {
  #pool: Piscina<PromptTask, PromptShare> | undefined;
  #warned = false;

  constructor(
    readonly guard: InjectionGuard | null,
    readonly threads: number,
    private readonly logger?: Logger,
  ) {}

  get enabled(): boolean {
    return this.threads > 0;
  }

  /** Starts the threads now rather than on the first large prompt. */
  warm(): void {
    if (this.enabled) this.pool();
  }

  private pool(): Piscina<PromptTask, PromptShare> {
    if (this.#pool) return this.#pool;
    const { filename, execArgv } = workerFile();
    this.#pool = new Piscina<PromptTask, PromptShare>({
      filename,
      execArgv,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      workerData: { guard: this.guard },
      // Assessments arrive one per large request; waiting in the queue beats an unbounded pile.
      maxQueue: 64 * this.threads,
    });
    // A worker's own failure rejects its task (handled below); this keeps an emitted error from throwing.
    this.#pool.on('error', (err: unknown) => this.warnOnce(err));
    return this.#pool;
  }

  private warnOnce(err: unknown): void {
    if (this.#warned) return;
    this.#warned = true;
    this.logger?.warn(
      { err: errorText(err) },
      'assessment worker failed; large prompts are scored on the request thread',
    );
  }

  /**
   * The prompt's share scored on a worker (`redact`: the redacted prompt too, when anything was
   * found); null when no worker could do it (the caller scores it itself).
   */
  async promptRisk(prompt: string, redact: boolean): Promise<PromptRisk | null> {
    if (!this.enabled) return null;
    let share: PromptShare;
    try {
      share = await this.pool().run({ prompt, redact });
    } catch (err) {
      this.warnOnce(err);
      return null;
    }
    const text = share.scoredText ?? prompt;
    return {
      source: prompt,
      guard: this.guard,
      scanned: {
        text,
        scan: scanFromData(text, share.scan),
        ...(share.redacted === null ? {} : { redacted: share.redacted }),
      },
      injections: share.injections,
      flags: share.flags,
      weights: share.weights,
      modelProbability: share.modelProbability,
    };
  }

  /** Prompts the workers have scored (tests: the worker path was taken). */
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
 * The workers of each guard in use (a process has one, the loaded model; tests make others).
 * Threads per guard: ASSESSMENT_WORKERS through `configureAssessmentWorkers`, else the default.
 */
const byGuard = new Map<InjectionGuard | null, AssessmentWorkers>();
let configured: { threads: number; logger?: Logger } | undefined;

/** Sets the thread count and logger of the workers made from now on (the server's wiring, at start-up). */
export function configureAssessmentWorkers(threads: number, logger?: Logger): void {
  configured = { threads, ...(logger ? { logger } : {}) };
}

/** The workers that score prompts for `guard`, made on first use. */
export function assessmentWorkersFor(guard: InjectionGuard | null): AssessmentWorkers {
  let workers = byGuard.get(guard);
  if (!workers) {
    workers = new AssessmentWorkers(guard, configured?.threads ?? defaultAssessmentThreads(), configured?.logger);
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
