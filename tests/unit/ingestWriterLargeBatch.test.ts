/**
 * A batch holding megabytes of text is serialised in a turn of the event loop of its own
 * (domain/slices pause()), so several large calls committing together do not hold other
 * requests; a batch of ordinary rows is not delayed.
 */
import { describe, expect, it, vi } from 'vitest';
import type * as Slices from '../../src/domain/slices.js';

const order: string[] = [];
vi.mock('../../src/domain/slices.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Slices>();
  return {
    ...actual,
    pause: () => {
      order.push('pause');
      return actual.pause();
    },
  };
});

const { IngestWriter } = await import('../../src/services/ingest/ingestWriter.js');
type Row = Parameters<InstanceType<typeof IngestWriter>['write']>[0];

const row = (prompt: string): Row =>
  ({
    id: `r${order.length}`,
    projectId: 'p',
    prompt,
    response: null,
    createdAt: new Date(),
    riskFlags: [],
  }) as unknown as Row;

describe('IngestWriter and large batches', () => {
  it('should pause before serialising a batch of megabytes, and not before an ordinary one', async () => {
    const writer = new IngestWriter(
      async () => {
        order.push('execute');
        return { rows: [] };
      },
      { maxWaitMs: 1 },
    );
    await writer.write(row('a short prompt'));
    expect(order).toEqual(['execute']);
    order.length = 0;
    await writer.write(row('x'.repeat(2 * 1024 * 1024)));
    expect(order).toEqual(['pause', 'execute']);
    await writer.close();
  });
});
