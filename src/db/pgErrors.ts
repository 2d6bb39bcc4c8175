/**
 * The SQLSTATE of a PostgreSQL error, however it reached us: through Prisma's driver adapter
 * (`meta.driverAdapterError.cause.originalCode`), Prisma's older raw-query shape (`meta.code`)
 * or node-postgres directly (`code`). A Prisma error's own `code` (`P2010`...) is not one.
 */
export function postgresErrorCode(err: unknown): string | undefined {
  const e = err as
    | {
        code?: unknown;
        clientVersion?: unknown;
        meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown } } };
      }
    | undefined;
  const own = e?.clientVersion === undefined ? e?.code : undefined;
  const code = e?.meta?.driverAdapterError?.cause?.originalCode ?? e?.meta?.code ?? own;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
