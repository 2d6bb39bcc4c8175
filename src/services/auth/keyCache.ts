/**
 * The hot path's memory: verified API keys (by HMAC digest) and each project's context
 * (settings, active remediations, plan), so `/llm/request` does no extra query per call.
 * Entries live at most `ttlMs`; changes anywhere are broadcast on the notify bus, so a deleted
 * key or a new remediation takes effect on every replica within a notification's latency.
 * `lastUsedAt` is kept in memory and flushed in one statement per interval.
 */
import { LRUCache } from 'lru-cache';
import type { NotifyBus } from '../../db/notifyBus.js';
import type { PrismaClient } from '../../db/prisma.js';
import { safeEqual } from '../../utils/crypto.js';
import { SharedLoads } from '../../utils/sharedLoads.js';
import { projectColumns, type ModelConfig } from '../../domain/config/modelConfig.js';
import type { ProjectContext, VerifiedKey } from '../../types/project.js';
import { NO_SUCH_ID, type QueryWarmable } from '../requestWarmup.js';
import { digestApiKey } from './apiKeyDigest.js';

export type { ActiveRemediation, ProjectArm, ProjectContext, VerifiedKey } from '../../types/project.js';

export interface KeyCacheOptions {
  ttlMs?: number;
  max?: number;
  lastUsedFlushMs?: number;
}

const NOT_FOUND = Symbol('not found');

export class KeyCache implements QueryWarmable {
  private keys: LRUCache<string, VerifiedKey | typeof NOT_FOUND>;
  private projects: LRUCache<string, ProjectContext>;
  private lastUsed = new Map<string, Date>();
  private flushTimer?: NodeJS.Timeout;
  /**
   * Lookups in flight, by digest and by project id. When an entry expires under load, every
   * request for that key missed at once and each ran its own lookups: at 16 connections the pool
   * opened connections for them (SCRAM and connect on the request thread), an 82 ms stall every
   * 30 s. Concurrent misses now share one lookup.
   */
  private loadingKeys = new SharedLoads<VerifiedKey | typeof NOT_FOUND>();
  private loadingProjects = new SharedLoads<ProjectContext | null>();
  /** Bumped by every invalidation: a lookup that raced one answers its callers but is not cached. */
  private generation = 0;
  /**
   * Raw key -> its digest, for keys that exist. The HMAC builds a fresh OpenSSL context per call:
   * 8 us in a tight loop, but 66-100 us measured inside the server under bench:ingest's load (its
   * code and tables cold in the CPU's caches between two calls), the largest step of a key check.
   * Only keys that were found are kept, so made-up keys cannot push them out; a revoked key keeps
   * its digest here and fails on its entry in `keys`. Raw keys are in the process's memory with
   * every request anyway; this holds at most `max` of them.
   */
  private digests: LRUCache<string, string>;

  constructor(
    private prisma: PrismaClient,
    /** the invalidation bus, shared with the other caches of this process (feature flags) */
    readonly bus: NotifyBus,
    options: KeyCacheOptions = {},
  ) {
    const ttl = options.ttlMs ?? 30_000;
    this.keys = new LRUCache({ max: options.max ?? 50_000, ttl });
    this.projects = new LRUCache({ max: options.max ?? 50_000, ttl });
    this.digests = new LRUCache({ max: options.max ?? 50_000 });
    bus.subscribe((m) => {
      if (m.kind !== 'apiKey' && m.kind !== 'project' && m.kind !== 'all') return;
      this.generation++;
      if (m.kind === 'apiKey' && m.id) {
        this.keys.delete(m.id);
        this.loadingKeys.forget(m.id);
      } else if (m.kind === 'project' && m.id) {
        this.projects.delete(m.id);
        this.loadingProjects.forget(m.id);
      } else if (m.kind === 'all') {
        this.keys.clear();
        this.projects.clear();
        this.loadingKeys.clear();
        this.loadingProjects.clear();
      }
    });
    const flushMs = options.lastUsedFlushMs ?? 60_000;
    if (flushMs > 0) {
      this.flushTimer = setInterval(() => void this.flushLastUsed().catch(() => undefined), flushMs);
      this.flushTimer.unref();
    }
  }

  /** The key's identity and its project's context, or null if the key does not work now. */
  async authenticate(key: string): Promise<{ key: VerifiedKey; project: ProjectContext } | null> {
    const known = this.digests.get(key);
    const digest = known ?? digestApiKey(key);
    const entry =
      this.keys.get(digest) ??
      (await this.shared(
        this.loadingKeys,
        digest,
        () => this.loadKey(digest),
        // Unknown keys are remembered briefly so a flood of bad keys does not reach the database.
        (found) => this.keys.set(digest, found, found === NOT_FOUND ? { ttl: 5_000 } : undefined),
      ));
    if (entry === NOT_FOUND) return null;
    if (known === undefined) this.digests.set(key, digest);
    if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) return null;
    const project = await this.projectContext(entry.projectId);
    if (!project) return null;
    this.lastUsed.set(entry.apiKeyId, new Date());
    return { key: entry, project };
  }

  async projectContext(projectId: string): Promise<ProjectContext | null> {
    const cached = this.projects.get(projectId);
    if (cached) return cached;
    return this.shared(
      this.loadingProjects,
      projectId,
      () => this.loadProject(projectId),
      (context) => {
        if (context) this.projects.set(projectId, context);
      },
    );
  }

  /** One lookup per key at a time; its result is stored unless an invalidation came meanwhile. */
  private shared<V>(loads: SharedLoads<V>, key: string, load: () => Promise<V>, store: (value: V) => void) {
    return loads.run(key, async () => {
      const generation = this.generation;
      const value = await load();
      if (generation === this.generation) store(value);
      return value;
    });
  }

  private async loadKey(digest: string): Promise<VerifiedKey | typeof NOT_FOUND> {
    const row = await this.findKey(digest);
    return row && !row.revokedAt && !row.project.deletedAt && safeEqual(row.keyHash, digest)
      ? { apiKeyId: row.id, projectId: row.projectId, digest, expiresAt: row.expiresAt?.getTime() ?? null }
      : NOT_FOUND;
  }

  /** Raw keys whose digest is held (tests: only keys that exist are kept). */
  get heldDigests(): number {
    return this.digests.size;
  }

  /**
   * Both lookups for a key and a project that do not exist, caching nothing: Prisma compiles
   * a query the first time it runs (see services/requestWarmup.ts).
   */
  async warmUpQueries(): Promise<void> {
    await this.findKey(digestApiKey(NO_SUCH_ID));
    await this.loadProject(NO_SUCH_ID);
  }

  private findKey(digest: string) {
    return this.prisma.apiKey.findUnique({
      where: { keyHash: digest },
      select: {
        id: true,
        projectId: true,
        keyHash: true,
        expiresAt: true,
        revokedAt: true,
        project: { select: { deletedAt: true } },
      },
    });
  }

  private async loadProject(projectId: string): Promise<ProjectContext | null> {
    const row = await this.prisma.project.findUnique({
      where: { id: projectId },
      include: {
        owner: { select: { subscription: { select: { plan: true } } } },
        remediations: { where: { status: 'active' }, orderBy: { createdAt: 'asc' } },
      },
    });
    if (!row || row.deletedAt) return null;
    const context: ProjectContext = {
      projectId: row.id,
      ownerId: row.ownerId,
      plan: row.owner.subscription?.plan ?? 'free',
      safetyThreshold: row.safetyThreshold,
      piiMode: row.piiMode,
      guardMode: row.guardMode,
      defaultModel: row.defaultModel,
      systemPrompt: row.systemPrompt,
      modelSettings: (row.modelSettings ?? {}) as Record<string, unknown>,
      ruleThresholds: (row.ruleThresholds ?? {}) as Record<string, unknown>,
      remediations: row.remediations.map((r) => ({
        id: r.id,
        incidentId: r.incidentId,
        action: r.action,
        params: (r.params ?? {}) as Record<string, unknown>,
        expiresAt: r.expiresAt?.getTime() ?? null,
      })),
      configVersion: row.activeConfigVersion,
      split: null,
    };
    const split = row.configSplit as { arms: { version: number; weight: number }[]; startedAt: string } | null;
    if (split) context.split = await this.armContexts(context, split.arms);
    return context;
  }

  /** Also tells `handler` about every invalidation (other project-scoped caches follow the same bus). */
  onInvalidate(handler: (message: { kind: string; id?: string }) => void): void {
    this.bus.subscribe(handler);
  }

  /** Each arm of a split as the project context its calls use (the arm's version's config). */
  private async armContexts(base: ProjectContext, arms: { version: number; weight: number }[]) {
    const versions = await this.prisma.projectConfigVersion.findMany({
      where: { projectId: base.projectId, number: { in: arms.map((a) => a.version) } },
    });
    const byNumber = new Map(versions.map((v) => [v.number, v.config as ModelConfig]));
    return {
      salt: base.projectId,
      arms: arms.flatMap((a) => {
        const config = byNumber.get(a.version);
        if (!config) return [];
        const { modelSettings, ...columns } = projectColumns(config);
        const context: ProjectContext = { ...base, ...columns, modelSettings, configVersion: a.version, split: null };
        return [{ version: a.version, weight: a.weight, context }];
      }),
    };
  }

  invalidateKey(digest: string): Promise<void> {
    return this.bus.publish({ kind: 'apiKey', id: digest });
  }

  invalidateProject(projectId: string): Promise<void> {
    return this.bus.publish({ kind: 'project', id: projectId });
  }

  /** Writes the remembered lastUsedAt values in one statement. */
  async flushLastUsed(): Promise<number> {
    if (this.lastUsed.size === 0) return 0;
    const batch = [...this.lastUsed.entries()];
    this.lastUsed.clear();
    const ids = batch.map(([id]) => id);
    const times = batch.map(([, at]) => at);
    return this.prisma.$executeRaw`
      UPDATE api_keys AS k SET "lastUsedAt" = v.at
      FROM unnest(${ids}::text[], ${times}::timestamp[]) AS v(id, at)
      WHERE k.id = v.id AND (k."lastUsedAt" IS NULL OR k."lastUsedAt" < v.at)`;
  }

  async close(): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flushLastUsed().catch(() => undefined);
  }
}
