/**
 * Feature flags of the platform, evaluated in-process with the OpenFeature server SDK over our
 * own provider (DatabaseFlagProvider over FlagStore). Each instance binds its provider to a
 * domain of its own, so two apps in one process (tests) never share flags or caches.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, NOOP_PROVIDER, OpenFeature, type Client } from '@openfeature/server-sdk';
import type { Logger } from 'pino';
import type { NotifyBus } from '../../db/notifyBus.js';
import type { PrismaClient } from '../../db/prisma.js';
import type { FlagSubject } from '../../domain/flags/flagRules.js';
import { logger as defaultLogger } from '../../utils/logger.js';
import { DatabaseFlagProvider, contextOf } from './flagProvider.js';
import { FlagStore } from './flagStore.js';

/** Flags the code itself checks. */
export const FLAGS = {
  /** PUT /projects/:id/config-split (starting an A/B split); absent = on */
  configSplits: 'config-splits',
} as const;

export interface EvaluatedFlag {
  enabled: boolean;
  variant: string | null;
}

export interface FeatureFlagsOptions {
  logger?: Logger;
  /** how long the snapshot of the table is trusted without an invalidation (default 30 s) */
  ttlMs?: number;
}

export class FeatureFlags {
  readonly store: FlagStore;
  private readonly client: Client;
  private readonly domain = `llmguard-flags-${randomUUID()}`;
  private readonly logger: Logger;

  constructor(prisma: PrismaClient, bus: NotifyBus, options: FeatureFlagsOptions = {}) {
    this.store = new FlagStore(prisma, bus, options.ttlMs);
    this.logger = options.logger ?? defaultLogger;
    OpenFeature.setProvider(this.domain, new DatabaseFlagProvider(this.store));
    this.client = OpenFeature.getClient(this.domain);
  }

  /**
   * Whether `key` is on for `subject`. `ifAbsent` answers when no such flag exists; it also
   * answers (with a warning) when the flags cannot be read, so a database hiccup does not flip
   * a feature that has no flag.
   */
  async isEnabled(key: string, subject: FlagSubject, ifAbsent: boolean): Promise<boolean> {
    const details = await this.client.getBooleanDetails(key, ifAbsent, contextOf(subject));
    if (details.errorCode && details.errorCode !== ErrorCode.FLAG_NOT_FOUND) {
      this.logger.warn(
        { flag: key, errorCode: details.errorCode, err: details.errorMessage },
        'feature flag unreadable; using its default',
      );
    }
    return details.value;
  }

  /** Every flag as it decides for `subject` (archived and disabled ones are off), by key. */
  async evaluateAll(subject: FlagSubject): Promise<Record<string, EvaluatedFlag>> {
    const keys = [...(await this.store.all()).keys()].sort();
    const context = contextOf(subject);
    const result: Record<string, EvaluatedFlag> = {};
    for (const key of keys) {
      const details = await this.client.getBooleanDetails(key, false, context);
      result[key] = { enabled: details.value, variant: details.value ? (details.variant ?? null) : null };
    }
    return result;
  }

  /** Tells every replica that `key` changed. */
  invalidate(key: string): Promise<void> {
    return this.store.invalidate(key);
  }

  /** Unbinds the provider (the SDK keeps domains for the life of the process). */
  async close(): Promise<void> {
    await OpenFeature.setProviderAndWait(this.domain, NOOP_PROVIDER);
  }
}
