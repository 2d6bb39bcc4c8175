import { z } from 'zod';
import { emailSchema } from './authValidators.js';

export const profileUpdateBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    email: emailSchema.optional(),
    currentPassword: z.string().min(1).max(256).optional(),
    newPassword: z.string().min(1).max(256).optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'Nothing to update' });

export type ProfileUpdate = z.infer<typeof profileUpdateBody>;
