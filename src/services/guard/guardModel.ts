/**
 * Loads the committed injection model (models/guard-model.bin, written by `npm run
 * train:guard`). Start-up calls this once: a missing or corrupt file stops the process with a
 * message naming the file and the command that recreates it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import { GuardModelFileError, parseModel, type ModelHeader } from '../../domain/guard/modelFile.js';

export const GUARD_MODEL_FILE = path.join('models', 'guard-model.bin');

/** The model file of this checkout: the first models/guard-model.bin above this module. */
function findModelFile(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, GUARD_MODEL_FILE))) return path.join(dir, GUARD_MODEL_FILE);
    if (path.dirname(dir) === dir) return path.resolve(from, '../../..', GUARD_MODEL_FILE);
  }
}

export const DEFAULT_GUARD_MODEL_PATH = findModelFile(import.meta.dirname);

export class GuardModelUnavailableError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`Injection guard model ${file} ${reason}. Run \`npm run train:guard\` to (re)create it.`);
    this.name = 'GuardModelUnavailableError';
  }
}

const loaded = new Map<string, { guard: InjectionGuard; header: ModelHeader }>();

/** The guard from `file` (cached per path); throws GuardModelUnavailableError if it cannot be used. */
export function loadInjectionGuard(file: string = DEFAULT_GUARD_MODEL_PATH): {
  guard: InjectionGuard;
  header: ModelHeader;
} {
  const cached = loaded.get(file);
  if (cached) return cached;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GuardModelUnavailableError(
      file,
      code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? 'error'})`,
    );
  }
  try {
    const { model, header } = parseModel(bytes);
    const entry = { guard: { model, threshold: header.hyperparameters.threshold }, header };
    loaded.set(file, entry);
    return entry;
  } catch (err) {
    if (err instanceof GuardModelFileError) throw new GuardModelUnavailableError(file, `is corrupt: ${err.message}`);
    throw err;
  }
}
