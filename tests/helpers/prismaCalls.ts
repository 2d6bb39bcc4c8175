/**
 * A Prisma client whose model calls are recorded as "model.operation" (a proxy around its model
 * delegates; `$` methods pass through unrecorded), to compare the queries two code paths make.
 */
import type { PrismaClient } from '../../src/db/prisma.js';

export function recording(prisma: PrismaClient): { client: PrismaClient; calls: string[] } {
  const calls: string[] = [];
  const client = new Proxy(prisma, {
    get(target, model, receiver) {
      const value: unknown = Reflect.get(target, model, receiver);
      if (typeof model !== 'string' || model.startsWith('$') || typeof value !== 'object' || value === null)
        return value;
      return new Proxy(value, {
        get(delegate, operation) {
          const fn: unknown = Reflect.get(delegate, operation);
          if (typeof fn !== 'function') return fn;
          return (...args: unknown[]) => {
            calls.push(`${model}.${String(operation)}`);
            return (fn as (...a: unknown[]) => unknown).apply(delegate, args);
          };
        },
      });
    },
  });
  return { client, calls };
}
