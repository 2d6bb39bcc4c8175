/**
 * A short-lived cache of metrics answers per project. A dashboard polling every few seconds
 * costs one query per TTL; a commit for the project makes its entries unreachable at once
 * (on this replica: other replicas' commits show within the TTL).
 *
 * Invalidation bumps a per-project generation that is part of every key, rather than deleting
 * entries: an answer computed while a commit landed is stored under the old generation and never
 * served, so a stale result cannot outlive the invalidation that raced it.
 */
import { LRUCache } from 'lru-cache';

export class MetricsCache {
  private entries: LRUCache<string, object>;
  private generations = new Map<string, number>();

  constructor(options: { ttlMs?: number; max?: number } = {}) {
    this.entries = new LRUCache({ max: options.max ?? 1_000, ttl: options.ttlMs ?? 10_000 });
  }

  async getOrCompute<T extends object>(projectId: string, key: string, compute: () => Promise<T>): Promise<T> {
    const fullKey = `${projectId}\u0000${this.generations.get(projectId) ?? 0}\u0000${key}`;
    const hit = this.entries.get(fullKey);
    if (hit) return hit as T;
    const value = await compute();
    this.entries.set(fullKey, value);
    return value;
  }

  invalidate(projectIds: Iterable<string>): void {
    for (const id of projectIds) this.generations.set(id, (this.generations.get(id) ?? 0) + 1);
  }
}
