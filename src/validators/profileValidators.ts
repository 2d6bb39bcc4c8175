import { z } from 'zod';
import { emailSchema } from './authValidators.js';

export const profileUpdateBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional().describe('New display name.'),
    email: emailSchema.optional().describe('New email address (needs `currentPassword`; 409 if taken).'),
    currentPassword: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('The current password: required to change the email or the password.'),
    newPassword: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('New password (needs `currentPassword`; the same strength rules as at sign-up).'),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'Nothing to update' });

export type ProfileUpdate = z.infer<typeof profileUpdateBody>;
