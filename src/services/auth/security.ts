/**
 * Rate limiters and IP blocks, in memory by default and in Redis when REDIS_URL is set (then
 * shared by every replica). A Redis outage falls back to per-process memory limiters, so the
 * API keeps serving with limits still applied.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { env } from '../../config/env.js';

export interface SecurityConfig {
  authPerIp: number;
  /** login attempts per email from one IP */
  authPerEmail: number;
  /** failed logins per email from all IPs */
  authFailuresPerEmail: number;
  authWindowSeconds: number;
  apiPerUser: number;
  apiPerKey: number;
  feedbackPerHour: number;
  ipBlockThreshold: number;
  ipBlockWindowSeconds: number;
  ipBlockDurationSeconds: number;
}

export const defaultSecurityConfig: SecurityConfig = {
  authPerIp: env.AUTH_RATE_LIMIT_PER_IP,
  authPerEmail: env.AUTH_RATE_LIMIT_PER_EMAIL,
  authFailuresPerEmail: env.AUTH_RATE_LIMIT_FAILURES_PER_EMAIL,
  authWindowSeconds: env.AUTH_RATE_LIMIT_WINDOW_SECONDS,
  apiPerUser: env.API_RATE_LIMIT_PER_USER,
  apiPerKey: env.API_RATE_LIMIT_PER_KEY,
  feedbackPerHour: env.FEEDBACK_RATE_LIMIT_PER_HOUR,
  ipBlockThreshold: env.IP_BLOCK_THRESHOLD,
  ipBlockWindowSeconds: env.IP_BLOCK_WINDOW_SECONDS,
  ipBlockDurationSeconds: env.IP_BLOCK_DURATION_SECONDS,
};

export interface IpBlock {
  ip: string;
  reason: string;
  blockedAt: string;
  expiresAt: string;
}

export interface IpBlockStore {
  block(ip: string, seconds: number, reason: string): Promise<IpBlock>;
  get(ip: string): Promise<IpBlock | null>;
  list(): Promise<IpBlock[]>;
  unblock(ip: string): Promise<boolean>;
}

class MemoryIpBlockStore implements IpBlockStore {
  private blocks = new Map<string, IpBlock>();

  async block(ip: string, seconds: number, reason: string): Promise<IpBlock> {
    const now = Date.now();
    const entry = {
      ip,
      reason,
      blockedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + seconds * 1000).toISOString(),
    };
    this.blocks.set(ip, entry);
    return entry;
  }

  async get(ip: string): Promise<IpBlock | null> {
    const entry = this.blocks.get(ip);
    if (!entry) return null;
    if (Date.parse(entry.expiresAt) <= Date.now()) {
      this.blocks.delete(ip);
      return null;
    }
    return entry;
  }

  async list(): Promise<IpBlock[]> {
    const all = await Promise.all([...this.blocks.keys()].map((ip) => this.get(ip)));
    return all.filter((b): b is IpBlock => b !== null);
  }

  async unblock(ip: string): Promise<boolean> {
    return this.blocks.delete(ip);
  }
}

const BLOCK_PREFIX = 'llmguard:ipblock:';

class RedisIpBlockStore implements IpBlockStore {
  constructor(
    private redis: Redis,
    private fallback: IpBlockStore,
  ) {}

  private async safe<T>(op: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch {
      return fallback();
    }
  }

  async block(ip: string, seconds: number, reason: string): Promise<IpBlock> {
    const entry = await this.fallback.block(ip, seconds, reason);
    await this.safe(
      () => this.redis.set(BLOCK_PREFIX + ip, JSON.stringify(entry), 'EX', seconds),
      async () => null,
    );
    return entry;
  }

  async get(ip: string): Promise<IpBlock | null> {
    return this.safe(
      async () => {
        const raw = await this.redis.get(BLOCK_PREFIX + ip);
        return raw ? (JSON.parse(raw) as IpBlock) : null;
      },
      () => this.fallback.get(ip),
    );
  }

  async list(): Promise<IpBlock[]> {
    return this.safe(
      async () => {
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${BLOCK_PREFIX}*`, 'COUNT', 500);
          cursor = next;
          keys.push(...batch);
        } while (cursor !== '0');
        if (keys.length === 0) return [];
        const values = await this.redis.mget(keys);
        return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as IpBlock);
      },
      () => this.fallback.list(),
    );
  }

  async unblock(ip: string): Promise<boolean> {
    const local = await this.fallback.unblock(ip);
    const removed = await this.safe(
      () => this.redis.del(BLOCK_PREFIX + ip),
      async () => 0,
    );
    return local || removed > 0;
  }
}

export interface Security {
  config: SecurityConfig;
  authIp: RateLimiterAbstract;
  /** login attempts per email + IP (key: emailIpKey) */
  authEmail: RateLimiterAbstract;
  /** failed logins per email from every IP; consumed on failure only */
  authEmailFailures: RateLimiterAbstract;
  apiUser: RateLimiterAbstract;
  apiKey: RateLimiterAbstract;
  /** product feedback items per user per hour */
  feedback: RateLimiterAbstract;
  /** counts auth failures per IP; exceeding it blocks the IP */
  failures: RateLimiterAbstract;
  ipBlocks: IpBlockStore;
  /** Records an authentication failure from `ip`; returns the block if this one crossed the threshold. */
  recordAuthFailure(ip: string): Promise<IpBlock | null>;
  /** Lifts a block and forgets the IP's failures. */
  unblockIp(ip: string): Promise<boolean>;
  /** Limiter of a `rate_limit_user` remediation, shared by replicas when Redis is set. */
  remediationLimiter(remediation: { id: string; params: Record<string, unknown> }): RateLimiterAbstract;
}

function limiter(redis: Redis | undefined, keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ keyPrefix, points, duration });
  if (!redis) return memory;
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `llmguard:rl:${keyPrefix}`,
    points,
    duration,
    insuranceLimiter: memory,
    rejectIfRedisNotReady: false,
  });
}

export function createSecurity(overrides: Partial<SecurityConfig> = {}, redis?: Redis): Security {
  const config = { ...defaultSecurityConfig, ...overrides };
  const memoryBlocks = new MemoryIpBlockStore();
  const ipBlocks = redis ? new RedisIpBlockStore(redis, memoryBlocks) : memoryBlocks;
  const failures = limiter(redis, 'authfail', config.ipBlockThreshold, config.ipBlockWindowSeconds);
  const remediationLimiters = new Map<string, RateLimiterAbstract>();
  return {
    config,
    authIp: limiter(redis, 'authip', config.authPerIp, config.authWindowSeconds),
    authEmail: limiter(redis, 'authemailip', config.authPerEmail, config.authWindowSeconds),
    authEmailFailures: limiter(redis, 'authemailfail', config.authFailuresPerEmail, config.authWindowSeconds),
    apiUser: limiter(redis, 'apiuser', config.apiPerUser, 60),
    apiKey: limiter(redis, 'apikey', config.apiPerKey, 60),
    feedback: limiter(redis, 'feedback', config.feedbackPerHour, 3600),
    failures,
    ipBlocks,
    async recordAuthFailure(ip) {
      try {
        await failures.consume(ip);
        return null;
      } catch (rejection) {
        if (rejection instanceof Error) throw rejection;
        return ipBlocks.block(ip, config.ipBlockDurationSeconds, 'repeated authentication failures');
      }
    },
    async unblockIp(ip) {
      await failures.delete(ip).catch(() => false);
      return ipBlocks.unblock(ip);
    },
    remediationLimiter({ id, params }) {
      let l = remediationLimiters.get(id);
      if (!l) {
        const points = Math.max(1, Number(params.limit) || 1);
        const duration = Math.max(1, Number(params.windowSeconds) || 60);
        l = limiter(redis, `remediation:${id}`, points, duration);
        remediationLimiters.set(id, l);
      }
      return l;
    },
  };
}
