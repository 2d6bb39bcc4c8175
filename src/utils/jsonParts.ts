/**
 * A value's JSON as a list of strings whose concatenation is `JSON.stringify(value)`, for
 * answers of megabytes (a redacted chat call's messages and transcript). V8 builds a long
 * `JSON.stringify` result as a rope of small pieces; the first reader (`Buffer.byteLength` for
 * Content-Length, the first slice written) then copies it into one flat string, a fresh
 * large-object allocation the size of the answer. Here a long string that JSON writes as it is
 * (nothing to escape) is a part itself, not copied, between two parts holding its quotes; another
 * long string's JSON is a part of its own (flat); the rest is joined into flat parts of at most
 * `pieceChars` characters.
 */
import { hasJsonEscapes } from './jsonEscapes.js';

/** JSON.stringify of one string, number, boolean or null. */
const scalar = (value: unknown): string => JSON.stringify(value);

/**
 * `value`'s JSON as parts (see the module comment): the parts joined are `JSON.stringify(v)`
 * for any value JSON.stringify writes (toJSON called with its key, properties whose value is
 * undefined, a function or a symbol left out of objects and written as null in arrays). Every part
 * has at most `pieceChars` characters but a long string, as it is or as JSON. Undefined for
 * what JSON.stringify gives undefined (undefined, a function or a symbol at the top).
 *
 * As pausable steps (domain/slices.ts runs them): a step ends after each part of `pieceChars` is
 * joined and after each long string, so the answer of a redacted chat call (4-5 MB of JSON, 10-20
 * ms to make on the machines measured) is made in slices, not in one go.
 */
export function* jsonPartsSteps(value: unknown, pieceChars: number): Generator<void, string[] | undefined, void> {
  const parts: string[] = [];
  /** how many parts there were at the last step's end */
  let stepParts = 0;
  let pending: string[] = [];
  let pendingChars = 0;
  const flush = () => {
    if (pending.length === 0) return;
    parts.push(pending.join(''));
    pending = [];
    pendingChars = 0;
  };
  const emit = (text: string) => {
    if (pendingChars + text.length > pieceChars) flush();
    if (text.length > pieceChars) {
      parts.push(text);
      return;
    }
    pending.push(text);
    pendingChars += text.length;
  };
  const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';
  /** `v` as JSON.stringify sees it under `key`: what its toJSON gives, if it has one. */
  const resolved = (key: string, v: unknown): unknown =>
    v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function'
      ? (v as { toJSON: (key: string) => unknown }).toJSON(key)
      : v;

  /** Writes `v`, resolved and not omitted; a step ends where a part was completed. */
  function* write(v: unknown): Generator<void, void, void> {
    if (parts.length > stepParts) {
      stepParts = parts.length;
      yield;
    }
    // a boxed primitive is an object that JSON.stringify writes as its value; a BigInt throws
    // here as it does there
    // (hasJsonEscapes: the characters JSON escapes but lone surrogates, which isWellFormed finds)
    if (typeof v === 'string' && v.length > pieceChars && v.isWellFormed() && !hasJsonEscapes(v)) {
      // written as it is between its quotes: no copy of megabytes
      emit('"');
      flush();
      parts.push(v);
      emit('"');
    } else if (
      v === null ||
      typeof v !== 'object' ||
      v instanceof Number ||
      v instanceof String ||
      v instanceof Boolean
    ) {
      emit(scalar(v));
    } else if (Array.isArray(v)) {
      emit('[');
      for (let i = 0; i < v.length; i++) {
        if (i > 0) emit(',');
        const item = resolved(String(i), v[i]);
        if (omitted(item)) emit('null');
        else yield* write(item);
      }
      emit(']');
    } else {
      emit('{');
      let first = true;
      for (const key of Object.keys(v)) {
        const item = resolved(key, (v as Record<string, unknown>)[key]);
        if (omitted(item)) continue;
        emit(first ? `${scalar(key)}:` : `,${scalar(key)}:`);
        first = false;
        yield* write(item);
      }
      emit('}');
    }
  }

  const top = resolved('', value);
  if (omitted(top)) return undefined;
  yield* write(top);
  flush();
  return parts;
}

/**
 * The UTF-8 bytes of `parts` together (each part whole: no surrogate pair spans two parts), as
 * pausable steps, a step a part (a part of megabytes takes milliseconds to count).
 */
export function* partsBytesSteps(parts: readonly string[]): Generator<void, number, void> {
  let n = 0;
  for (const [i, part] of parts.entries()) {
    if (i > 0) yield;
    n += Buffer.byteLength(part);
  }
  return n;
}
