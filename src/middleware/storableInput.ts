/**
 * One check, before any route, for input PostgreSQL cannot store or that would exhaust the
 * stack further in: a NUL character or an unpaired UTF-16 surrogate anywhere in the path, the
 * query string or the JSON body (object keys as well as values), and JSON nested deeper than
 * MAX_DEPTH. Each is a 400 VALIDATION_ERROR naming where it was, instead of a 500 from the
 * database (SQLSTATE 22021/22P05), a failed group-commit batch, or a stack overflow.
 */
import type { RequestHandler } from 'express';
import { AppError } from '../utils/AppError.js';

/** Deeper JSON than any route accepts (metadata, settings): refused before anything recurses into it. */
export const MAX_DEPTH = 64;

export interface InputIssue {
  path: string;
  message: string;
  code: 'invalid_string' | 'too_deep';
}

const BAD_TEXT = 'must not contain NUL characters or unpaired UTF-16 surrogates';

/** True when PostgreSQL text/jsonb can hold `s`. */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && s.isWellFormed();
}

/**
 * The first place in `value` that cannot be stored, or null. Iterative (no recursion), so a
 * body nested 100,000 deep costs a loop, not the stack.
 */
export function unstorableInput(value: unknown, root = 'body'): InputIssue | null {
  const stack: [unknown, string, number][] = [[value, root, 0]];
  while (stack.length > 0) {
    const [v, path, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return { path, message: `${path} ${BAD_TEXT}`, code: 'invalid_string' };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_DEPTH) {
      return { path, message: `${path} is nested more than ${MAX_DEPTH} levels deep`, code: 'too_deep' };
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}.${i}`, depth + 1]);
      continue;
    }
    for (const key of Object.keys(v)) {
      if (!isStorableText(key)) {
        return {
          path: `${path}.${JSON.stringify(key)}`,
          message: `a key in ${path} ${BAD_TEXT}`,
          code: 'invalid_string',
        };
      }
      stack.push([(v as Record<string, unknown>)[key], `${path}.${key}`, depth + 1]);
    }
  }
  return null;
}

export function inputError(issue: InputIssue): AppError {
  return new AppError('VALIDATION_ERROR', 'Request validation failed', {
    details: [{ path: issue.path, message: issue.message, code: issue.code }],
  });
}

/** Throws 400 for a value that cannot be stored (the direct ingest path calls it too). */
export function assertStorableInput(value: unknown, root = 'body'): void {
  const issue = unstorableInput(value, root);
  if (issue) throw inputError(issue);
}

/** A NUL percent-encoded into the path (`%00`); raw NULs never pass node's HTTP parser. */
const ENCODED_NUL = /%00/;

export const storableInput: RequestHandler = (req, _res, next) => {
  const pathEnd = req.originalUrl.indexOf('?');
  const path = pathEnd === -1 ? req.originalUrl : req.originalUrl.slice(0, pathEnd);
  if (ENCODED_NUL.test(path)) {
    throw inputError({ path: 'path', message: `path ${BAD_TEXT}`, code: 'invalid_string' });
  }
  assertStorableInput(req.query, 'query');
  if (req.body !== undefined) assertStorableInput(req.body, 'body');
  next();
};
