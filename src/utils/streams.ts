/** Small helpers for writable streams (sockets, HTTP responses). */
import type { Writable } from 'node:stream';

/**
 * Resolves once `stream` can take more ('drain'), or when it closes: the caller then finds it
 * destroyed and stops writing.
 */
export function drained(stream: Pick<Writable, 'once' | 'off'>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}
