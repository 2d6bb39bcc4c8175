/** The slice runner: pauses let the event loop through, and side-by-side computations take turns. */
import { describe, expect, it } from 'vitest';
import { runSliced, runSync, type Steps } from '../../src/domain/slices.js';

/** A computation of `n` steps that records, per step, its name and the event-loop turn it ran in. */
function* steps(name: string, n: number, log: { name: string; turn: number }[], turn: () => number): Steps<number> {
  for (let i = 0; i < n; i++) {
    log.push({ name, turn: turn() });
    yield;
  }
  return n;
}

describe('runSliced', () => {
  it('should give the same result as runSync', async () => {
    const log: { name: string; turn: number }[] = [];
    expect(
      await runSliced(
        steps('a', 5, log, () => 0),
        0,
      ),
    ).toBe(runSync(steps('b', 5, log, () => 0)));
  });

  it('should let several computations take one slice each per turn of the event loop, in turn', async () => {
    // A ticker counts the loop's turns: a setImmediate that re-arms itself runs once per turn.
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const log: { name: string; turn: number }[] = [];
    // sliceMs 0: every step is a slice of its own
    const runs = ['a', 'b', 'c'].map((name) =>
      runSliced(
        steps(name, 6, log, () => turn),
        0,
      ),
    );
    await Promise.all(runs);
    ticking = false;
    // The first step of each runs at once (before any pause); after that, one slice per turn.
    const afterStart = log.slice(3);
    const turnsAfterStart = new Set(afterStart.map((e) => e.turn));
    expect(turnsAfterStart.size).toBe(afterStart.length);
    // ...taken in turn: a, b, c, a, b, c, ...
    expect(afterStart.slice(0, 6).map((e) => e.name)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });
});
