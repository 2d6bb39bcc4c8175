import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/utils/ids.js';

describe('uuidv7', () => {
  it('should be RFC 9562 version 7 with the millisecond time in front', () => {
    const at = Date.UTC(2026, 10, 22, 3, 4, 5, 678);
    const id = uuidv7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('should stay unique across many refills of its random pool and sort by time', () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => uuidv7(1_800_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    const prefixes = ids.map((id) => id.slice(0, 13));
    expect([...prefixes].sort()).toEqual(prefixes);
  });
});
