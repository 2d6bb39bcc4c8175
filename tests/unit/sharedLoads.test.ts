import { describe, expect, it } from 'vitest';
import { SharedLoads } from '../../src/utils/sharedLoads.js';

describe('SharedLoads', () => {
  it('should share the load under way for a key, and start a new one once it has settled', async () => {
    const loads = new SharedLoads<number>();
    let started = 0;
    const load = () => Promise.resolve(++started);
    const [a, b] = await Promise.all([loads.run('k', load), loads.run('k', load)]);
    expect([a, b, started]).toEqual([1, 1, 1]);
    expect(await loads.run('other', load)).toBe(2);
    expect(await loads.run('k', load)).toBe(3);
  });

  it('should not keep a failed load: every caller of it gets the error, the next call tries again', async () => {
    const loads = new SharedLoads<string>();
    let attempts = 0;
    const load = async () => {
      attempts++;
      if (attempts === 1) throw new Error('database away');
      return 'found';
    };
    const first = await Promise.allSettled([loads.run('k', load), loads.run('k', load)]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await loads.run('k', load)).toBe('found');
    expect(attempts).toBe(2);
  });

  it('should start a fresh load after forget, forgetIf or clear, and still settle the old one', async () => {
    const loads = new SharedLoads<number>();
    let started = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = async () => {
      const n = ++started;
      await gate;
      return n;
    };
    const old = loads.run('p\u0000default', slow);
    loads.forgetIf((key) => key.startsWith('p\u0000'));
    const fresh = loads.run('p\u0000default', slow);
    release();
    expect(await old).toBe(1);
    expect(await fresh).toBe(2);
    expect(await Promise.all([loads.run('a', slow), loads.run('a', slow)])).toEqual([3, 3]);
    const kept = loads.run('b', slow);
    loads.forget('b');
    expect(await Promise.all([kept, loads.run('b', slow)])).toEqual([4, 5]);
    const c1 = loads.run('c', slow);
    loads.clear();
    expect(await Promise.all([c1, loads.run('c', slow)])).toEqual([6, 7]);
  });
});
