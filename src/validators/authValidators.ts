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
  email: emailSchema.describe('Email address to sign in with (stored in lower case; one account per address).'),
  password: passwordSchema.describe(
    'At least 10 characters with letters and digits, and not easy to guess (400 names the rules it breaks).',
  ),
  name: z.string().trim().min(1).max(100).optional().describe('Display name.'),
});

export const loginBody = z.strictObject({
  email: emailSchema.describe('Email address of the account.'),
  password: passwordSchema.describe('Its password.'),
  mfaCode: codeSchema.optional().describe('a TOTP or recovery code; required when MFA is on'),
});
z.globalRegistry.add(loginBody, { examples: [{ email: 'ada@example.com', password: 'Violet-Harbor-Lantern-42' }] });

export const refreshBody = z.strictObject({
  refreshToken: z
    .string()
    .min(10)
    .max(200)
    .describe('The refresh token of the session (from login or the last refresh; each one works once).'),
});

export const mfaCodeBody = z.strictObject({
  code: codeSchema.describe(
    'A current TOTP code from the authenticator app (to disable MFA, an unused recovery code works too).',
  ),
});

export const userSchema = z
  .object({
    id: z.string().describe('Id of the user.'),
    email: z.string().describe('Email address (lower case).'),
    name: z.string().nullable().describe('Display name (null if none was given).'),
    role: z.enum(Role).describe('`admin` may use the /admin routes; `user` may not.'),
  })
  .describe('A user account.');

export const authResponse = z.object({
  user: userSchema,
  accessToken: z
    .string()
    .describe('JWT for `Authorization: Bearer` on dashboard calls; valid for `expiresIn` seconds.'),
  refreshToken: z
    .string()
    .describe('Opaque token for POST /auth/refresh-token; rotated on each use (a reused one ends the session).'),
  expiresIn: z.number().describe('Seconds until the access token expires.'),
});

export const tokenResponse = authResponse.omit({ user: true });

export type RegisterInput = z.infer<typeof registerBody>;
export type LoginInput = z.infer<typeof loginBody>;
export type PublicUser = z.infer<typeof userSchema>;
