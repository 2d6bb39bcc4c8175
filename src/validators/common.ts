import { z } from 'zod';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../config/constants.js';

export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1).describe('Page number, from 1.'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Rows per page (at most ${MAX_PAGE_SIZE}).`),
});

export type PageQuery = z.infer<typeof pageQuery>;

export interface Page<T> {
  data: T[];
  page: number;
  limit: number;
  total: number;
}

export const isoDate = z.iso.datetime({ offset: true }).transform((v) => new Date(v));

export const idParam = z.object({ id: z.string().min(1).max(64) });

/** Prisma's `skip`/`take` for the page asked for. */
export function pageArgs(q: PageQuery): { skip: number; take: number } {
  return { skip: (q.page - 1) * q.limit, take: q.limit };
}

/** One page of rows in the API's list shape. */
export function pageOf<T>(data: T[], q: PageQuery, total: number): Page<T> {
  return { data, page: q.page, limit: q.limit, total };
}

/** A complete (unpaginated) list in the API's list shape. */
export function wholeList<T>(data: T[]): Page<T> {
  return { data, page: 1, limit: data.length, total: data.length };
}
