import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** A caller-supplied id is kept only if it is short and plain (no log injection). */
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is sane, else a new UUID. */
export function requestIdFor(incoming: string | undefined): string {
  return incoming && SANE_ID.test(incoming) ? incoming : randomUUID();
}

export const requestId: RequestHandler = (req, res, next) => {
  const id = requestIdFor(req.get('x-request-id'));
  req.id = id;
  res.setHeader('X-Request-Id', id);
  next();
};
