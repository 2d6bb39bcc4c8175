import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Backoff, ThrottledLog } from '../../src/db/backoff.js';
import { DatabaseHealth, DatabaseUnavailableError, isConnectionFailure } from '../../src/db/databaseHealth.js';
import { resilientPool } from '../../src/db/resilientPool.js';
import { freePort } from '../../src/db/localPorts.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('Backoff', () => {
  it('should grow exponentially up to the cap, with jitter between half and all of the step', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0 });
    const high = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0.999999 });
    expect(Array.from({ length: 7 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500, 500]);
    expect(Array.from({ length: 7 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    low.reset();
    expect(low.next()).toBe(50);
  });
});

describe('ThrottledLog', () => {
  it('should log the first failure, then at most one line per interval with a count, then one recovery line', () => {
    const { lines, logger } = capture();
    let now = 0;
    const log = new ThrottledLog(logger, 'thing down', { intervalMs: 10_000, now: () => now });
    for (let i = 0; i < 10_000; i++) {
      log.failure({ attempt: i });
      now += 5; // 10,000 failures over 50 s
    }
    log.recovered('thing back');
    expect(lines.map((l) => l.msg)).toEqual([
      'thing down',
      'thing down (still failing)',
      'thing down (still failing)',
      'thing down (still failing)',
      'thing down (still failing)',
      'thing back',
    ]);
    expect(lines[1]!.repeated).toBe(2000);
    expect(lines.at(-1)!.failures).toBe(10_000);
    log.recovered('thing back');
    expect(lines).toHaveLength(6);
  });
});

describe('DatabaseHealth', () => {
  it('should classify connection failures and not statement errors', () => {
    expect(isConnectionFailure(new DatabaseUnavailableError())).toBe(true);
    expect(isConnectionFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionFailure(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionFailure(new Error('timeout expired'))).toBe(true);
    expect(isConnectionFailure({ code: '57P01', message: 'terminating connection due to administrator command' })).toBe(
      true,
    );
    expect(isConnectionFailure({ code: '23505', message: 'duplicate key' })).toBe(false);
    expect(isConnectionFailure({ code: '22021', message: 'invalid byte sequence' })).toBe(false);
  });

  it('should probe once per failure burst and refuse at once while the database is down', async () => {
    let probes = 0;
    let up = false;
    const health = new DatabaseHealth({
      connectionString: `postgresql://x:y@127.0.0.1:${await freePort()}/none`,
      backoff: new Backoff({ initialMs: 10, maxMs: 20 }),
      probe: async () => {
        probes++;
        if (!up) throw new Error('connect ECONNREFUSED');
      },
    });
    const changes: boolean[] = [];
    health.onChange((u) => changes.push(u));
    const pool = resilientPool({ connectionString: 'postgresql://x:y@127.0.0.1:9/none', max: 2, health });
    // 50 failures at once start one probe loop, not 50
    for (let i = 0; i < 50; i++) health.report(new Error('Connection terminated unexpectedly'));
    await new Promise((r) => setTimeout(r, 50));
    expect(health.available).toBe(false);
    expect(probes).toBeLessThan(10);
    const started = Date.now();
    const err = await pool.query('SELECT 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect(Date.now() - started).toBeLessThan(1_000); // no connection attempt was made
    up = true;
    await new Promise((r) => setTimeout(r, 60));
    expect(health.available).toBe(true);
    expect(changes).toEqual([false, true]);
    health.close();
    await pool.end();
  });
});
