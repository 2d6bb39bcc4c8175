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
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-", at most 64')
    .describe('Name of the variant (unique within the flag); what GET /flags answers as `variant`.'),
  weight: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .describe("Relative share of the flag's users who get this variant (0: none)."),
  /** what the variant carries for the client (copy, a limit, a model name...) */
  value: z
    .unknown()
    .optional()
    .describe('Any JSON the variant carries for the client (copy, a limit, a model name...).'),
});

const variants = z
  .array(flagVariant)
  .max(20)
  .refine((vs) => new Set(vs.map((v) => v.name)).size === vs.length, { message: 'variant names must be unique' })
  .refine((vs) => vs.length === 0 || vs.some((v) => v.weight > 0), {
    message: 'at least one variant needs a weight above 0',
  });

/** The changeable fields of a flag; every one optional. */
const FLAG_FIELDS = {
  key: 'The flag\'s key: lower-case letters, digits, ".", "_" or "-".',
  description: 'What the flag is for.',
  enabled: 'Off for everyone when false; when true the lists and the rollout decide.',
  rolloutPercent:
    'Share of users (sticky by user id; without a user, by project) who get the flag when no list decides.',
  allowUsers: 'User ids who always get the flag (unless denied).',
  denyUsers: 'User ids who never get the flag (checked first).',
  allowProjects: 'Project ids for which the flag is always on (unless denied).',
  denyProjects: 'Project ids for which the flag is always off.',
  variants: 'Experiment variants [{ name, weight, value? }]; empty: a plain on/off flag.',
} as const;

/** The changeable fields of a flag; every one optional. */
const flagFields = {
  description: z.string().trim().max(500).nullable().optional().describe(FLAG_FIELDS.description),
  enabled: z.boolean().optional().describe(FLAG_FIELDS.enabled),
  /** share of users (sticky by user id) who get the flag when no list decides */
  rolloutPercent: z.number().int().min(0).max(100).optional().describe(FLAG_FIELDS.rolloutPercent),
  allowUsers: idList.optional().describe(FLAG_FIELDS.allowUsers),
  denyUsers: idList.optional().describe(FLAG_FIELDS.denyUsers),
  allowProjects: idList.optional().describe(FLAG_FIELDS.allowProjects),
  denyProjects: idList.optional().describe(FLAG_FIELDS.denyProjects),
  /** experiment variants [{ name, weight, value? }]; empty = a plain on/off flag */
  variants: variants.optional().describe(FLAG_FIELDS.variants),
};

export const createFlagBody = z.strictObject({ key: flagKey.describe(FLAG_FIELDS.key), ...flagFields });

export const updateFlagBody = z
  .strictObject(flagFields)
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one field to change' });

export const flagListQuery = z.object({
  /** include archived flags (default true: the admin list shows everything) */
  archived: z.enum(['true', 'false']).optional().describe('`false`: leave archived flags out (default: every flag).'),
});

export const evaluatedFlagsQuery = z.object({
  /** evaluate the project allow/deny lists for this project (one of the caller's) */
  projectId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe("Evaluate the project allow and deny lists for this project (one of the caller's)."),
});

/** A flag as the admin API answers it. */
export const flagSchema = z
  .object({
    key: z.string().describe(FLAG_FIELDS.key),
    description: z.string().nullable().describe(FLAG_FIELDS.description),
    enabled: z.boolean().describe(FLAG_FIELDS.enabled),
    rolloutPercent: z.number().int().describe(FLAG_FIELDS.rolloutPercent),
    allowUsers: z.array(z.string()).describe(FLAG_FIELDS.allowUsers),
    denyUsers: z.array(z.string()).describe(FLAG_FIELDS.denyUsers),
    allowProjects: z.array(z.string()).describe(FLAG_FIELDS.allowProjects),
    denyProjects: z.array(z.string()).describe(FLAG_FIELDS.denyProjects),
    variants: z.array(flagVariant).describe(FLAG_FIELDS.variants),
    archived: z.boolean().describe('Archived flags are off for everyone and keep their key.'),
    archivedAt: z.iso.datetime({ offset: true }).nullable().describe('When it was archived.'),
    createdBy: z.string().nullable().describe('Id of the admin who created it.'),
    createdAt: z.iso.datetime({ offset: true }).describe('When it was created.'),
    updatedAt: z.iso.datetime({ offset: true }).describe('Last change.'),
  })
  .describe('A feature flag with its targeting rules.');

export const flagResponse = z.object({ flag: flagSchema });

/** GET /flags: what each flag decides for the caller. */
export const evaluatedFlagsResponse = z.object({
  flags: z
    .record(
      z.string(),
      z.object({
        enabled: z.boolean().describe('Whether the flag is on for the caller.'),
        variant: z.string().nullable().describe('null for a plain on/off flag or when off'),
      }),
    )
    .describe('Each flag by key.'),
});

export type CreateFlagInput = z.infer<typeof createFlagBody>;
export type UpdateFlagInput = z.infer<typeof updateFlagBody>;
