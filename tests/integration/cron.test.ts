import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { auditRetentionJob } from '../../src/cron/jobs.js';
import { runExclusive, runJob } from '../../src/cron/scheduler.js';
import { useTestApp } from '../helpers/testApp.js';

const ctx = useTestApp();
const silent = pino({ level: 'silent' });

describe('cron jobs', () => {
  it('should run a job in only one of two concurrent callers (advisory lock)', async () => {
    let runs = 0;
    const slow = () =>
      runExclusive(ctx.prisma, 'lock-test', async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 300));
        return 'done';
      });
    const results = await Promise.all([slow(), slow()]);
    expect(runs).toBe(1);
    expect(results.map((r) => r.ran).sort()).toEqual([false, true]);
    // once released, the next run takes the lock again
    expect((await slow()).ran).toBe(true);
  });

  it('should purge audit rows older than the retention and keep newer ones', async () => {
    const old = new Date(Date.now() - 400 * 86_400_000);
    await ctx.prisma.auditLog.createMany({
      data: [
        { action: 'test.old', createdAt: old },
        { action: 'test.new', createdAt: new Date() },
      ],
    });
    expect(await runJob(ctx.prisma, auditRetentionJob, silent)).toBe(true);
    expect(await ctx.prisma.auditLog.count({ where: { action: 'test.old' } })).toBe(0);
    expect(await ctx.prisma.auditLog.count({ where: { action: 'test.new' } })).toBe(1);
  });
});
