/**
 * domain/slices.js with its pause() noting who called it, for a test's `vi.mock` of that module
 * (a factory imports this helper itself: vi.mock is hoisted above the test's imports):
 *
 *   vi.mock('../../src/domain/slices.js', async (importOriginal) =>
 *     (await import('../helpers/pauseCallers.js')).slicesNotingPauses(importOriginal, pausedFrom, nameOf));
 */
import type * as Slices from '../../src/domain/slices.js';

/**
 * The module with pause() pushing `name(frame)` onto `into` (nothing when null), `frame` being
 * the stack frame of pause()'s caller, before it pauses as the real one does.
 */
export async function slicesNotingPauses(
  importOriginal: <T>() => Promise<T>,
  into: string[],
  name: (frame: string) => string | null,
): Promise<typeof Slices> {
  const actual = await importOriginal<typeof Slices>();
  return {
    ...actual,
    pause: () => {
      const frame = (new Error().stack ?? '').split('\n')[2] ?? ''; // the frame that called pause()
      const noted = name(frame);
      if (noted !== null) into.push(noted);
      return actual.pause();
    },
  };
}
