import { z } from 'zod';

/** Lower-case words joined by `-`, `_` or `.`: safe as a JSON key and in a URL. */
export const flagKey = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,99}$/,
    'lower-case letters, digits, ".", "_" or "-", at most 100, starting with a letter or digit',
  );

/** Any string on admin routes: a key that does not exist is a 404, not a 400. */
export const flagKeyParam = z.object({ key: z.string().min(1).max(200) });

const idList = z.array(z.string().trim().min(1).max(64)).max(1_000);

export const flagVariant = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", at most 64'),
  weight: z.number().int().min(0).max(10_000),
  /** what the variant carries for the client (copy, a limit, a model name...) */
  value: z.unknown().optional(),
});

const variants = z
  .array(flagVariant)
  .max(20)
  .refine((vs) => new Set(vs.map((v) => v.name)).size === vs.length, { message: 'variant names must be unique' })
  .refine((vs) => vs.length === 0 || vs.some((v) => v.weight > 0), {
    message: 'at least one variant needs a weight above 0',
  });

/** The changeable fields of a flag; every one optional. */
const flagFields = {
  description: z.string().trim().max(500).nullable().optional(),
  enabled: z.boolean().optional(),
  /** share of users (sticky by user id) who get the flag when no list decides */
  rolloutPercent: z.number().int().min(0).max(100).optional(),
  allowUsers: idList.optional(),
  denyUsers: idList.optional(),
  allowProjects: idList.optional(),
  denyProjects: idList.optional(),
  /** experiment variants [{ name, weight, value? }]; empty = a plain on/off flag */
  variants: variants.optional(),
};

export const createFlagBody = z.strictObject({ key: flagKey, ...flagFields });

export const updateFlagBody = z
  .strictObject(flagFields)
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field to change' });

export const flagListQuery = z.object({
  /** include archived flags (default true: the admin list shows everything) */
  archived: z.enum(['true', 'false']).optional(),
});

export const evaluatedFlagsQuery = z.object({
  /** evaluate the project allow/deny lists for this project (one of the caller's) */
  projectId: z.string().min(1).max(64).optional(),
});

/** A flag as the admin API answers it. */
export const flagSchema = z.object({
  key: z.string(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  rolloutPercent: z.number().int(),
  allowUsers: z.array(z.string()),
  denyUsers: z.array(z.string()),
  allowProjects: z.array(z.string()),
  denyProjects: z.array(z.string()),
  variants: z.array(flagVariant),
  archived: z.boolean(),
  archivedAt: z.iso.datetime({ offset: true }).nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});

export const flagResponse = z.object({ flag: flagSchema });

/** GET /flags: what each flag decides for the caller. */
export const evaluatedFlagsResponse = z.object({
  flags: z.record(
    z.string(),
    z.object({
      enabled: z.boolean(),
      variant: z.string().nullable().describe('null for a plain on/off flag or when off'),
    }),
  ),
});

export type CreateFlagInput = z.infer<typeof createFlagBody>;
export type UpdateFlagInput = z.infer<typeof updateFlagBody>;
