/**
 * Every feature flag in memory, so evaluating one costs no query. The table is small (tens of
 * rows), so the cache is one snapshot of all of it, reloaded at most every `ttlMs` and dropped
 * whenever any replica changes a flag: changes travel on the same notify bus as the key cache's
 * (PostgreSQL LISTEN/NOTIFY, `kind: 'flag'`), so every replica sees them within milliseconds.
 */
import type { NotifyBus } from '../../db/notifyBus.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { FeatureFlag } from '../../generated/prisma/client.js';
import type { FlagRule, FlagVariant } from '../../domain/flags/flagRules.js';

export const toRule = (row: FeatureFlag): FlagRule => ({
  key: row.key,
  enabled: row.enabled,
  rolloutPercent: row.rolloutPercent,
  allowUsers: row.allowUsers,
  denyUsers: row.denyUsers,
  allowProjects: row.allowProjects,
  denyProjects: row.denyProjects,
  variants: Array.isArray(row.variants) ? (row.variants as unknown as FlagVariant[]) : [],
  archivedAt: row.archivedAt,
});

export class FlagStore {
  private snapshot: { flags: ReadonlyMap<string, FlagRule>; at: number } | null = null;
  private loading: Promise<ReadonlyMap<string, FlagRule>> | null = null;
  /** bumped by every invalidation: a load that started before one is not kept */
  private generation = 0;
  /** how many times the table was read (tests check that evaluation is served from memory) */
  loads = 0;

  constructor(
    private prisma: PrismaClient,
    private bus: NotifyBus,
    private ttlMs = 30_000,
  ) {
    bus.subscribe((m) => {
      if (m.kind === 'flag' || m.kind === 'all') this.drop();
    });
  }

  /** Every flag by key, archived ones included (they evaluate off). */
  async all(): Promise<ReadonlyMap<string, FlagRule>> {
    if (this.snapshot && Date.now() - this.snapshot.at < this.ttlMs) return this.snapshot.flags;
    if (this.loading) return this.loading;
    const generation = this.generation;
    const loading = this.load().then(
      (flags) => {
        if (generation === this.generation) this.snapshot = { flags, at: Date.now() };
        if (this.loading === loading) this.loading = null;
        return flags;
      },
      (err: unknown) => {
        if (this.loading === loading) this.loading = null;
        throw err;
      },
    );
    this.loading = loading;
    return loading;
  }

  async get(key: string): Promise<FlagRule | null> {
    return (await this.all()).get(key) ?? null;
  }

  /** Tells every replica (this one at once) that `key` changed. */
  invalidate(key: string): Promise<void> {
    return this.bus.publish({ kind: 'flag', id: key });
  }

  private drop(): void {
    this.generation += 1;
    this.snapshot = null;
    this.loading = null;
  }

  private async load(): Promise<ReadonlyMap<string, FlagRule>> {
    this.loads += 1;
    const rows = await this.prisma.featureFlag.findMany();
    return new Map(rows.map((row) => [row.key, toRule(row)]));
  }
}
