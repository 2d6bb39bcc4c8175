import { z } from 'zod';
import { Role } from '../types/vocabulary.js';

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'must be a valid email address' }));

const passwordSchema = z.string().min(1).max(256);
const codeSchema = z.string().trim().min(6).max(32);

export const registerBody = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: z.string().trim().min(1).max(100).optional(),
});

export const loginBody = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  mfaCode: codeSchema.optional().describe('a TOTP or recovery code; required when MFA is on'),
});
z.globalRegistry.add(loginBody, { examples: [{ email: 'ada@example.com', password: 'Violet-Harbor-Lantern-42' }] });

export const refreshBody = z.strictObject({ refreshToken: z.string().min(10).max(200) });

export const mfaCodeBody = z.strictObject({ code: codeSchema });

export const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: z.enum(Role),
});

export const authResponse = z.object({
  user: userSchema,
  accessToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number(),
});

export const tokenResponse = authResponse.omit({ user: true });

export type RegisterInput = z.infer<typeof registerBody>;
export type LoginInput = z.infer<typeof loginBody>;
export type PublicUser = z.infer<typeof userSchema>;
