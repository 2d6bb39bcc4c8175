/** Schema pieces the response schemas (responses.ts, incidentResponses.ts) share. */
import { z } from 'zod';

export const timestamp = z.iso.datetime({ offset: true });
export const count = z.number().int().min(0);
