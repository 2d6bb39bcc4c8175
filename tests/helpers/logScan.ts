/**
 * Setup file of the integration project: every log line the app writes during a test file is
 * captured (at debug level, with production redaction) and scanned for secrets at the end.
 * Finding a password, token, API key, hash or provider secret fails the file.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect } from 'vitest';
import { createLogger, logger as originalLogger, setLogger } from '../../src/utils/logger.js';
import { STRONG_PASSWORD } from './factories.js';

export const SECRET_PATTERNS: [string, RegExp][] = [
  ['API key', /lgk_[A-Za-z0-9_-]{30,}/],
  ['refresh token', /lgr_[A-Za-z0-9_-]{30,}/],
  ['JWT', /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ['bcrypt hash', /\$2[aby]\$\d\d\$[./A-Za-z0-9]{20,}/],
  ['test password', new RegExp(STRONG_PASSWORD)],
  ['Stripe key', /\b(sk|rk)_(test|live)_[A-Za-z0-9]{10,}/],
  ['Stripe webhook secret', /whsec_[A-Za-z0-9]{10,}/],
  ['OpenAI key', /\bsk-(proj-)?[A-Za-z0-9]{20,}/],
];

const lines: string[] = [];
const stream = new Writable({
  write(chunk: Buffer, _enc, cb) {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    cb();
  },
});

beforeAll(() => {
  setLogger(createLogger(stream, 'debug'));
});

afterAll(() => {
  setLogger(originalLogger);
  const found = lines.flatMap((line) =>
    SECRET_PATTERNS.filter(([, re]) => re.test(line)).map(([name]) => `${name} in: ${line.slice(0, 300)}`),
  );
  expect(found).toEqual([]);
});
