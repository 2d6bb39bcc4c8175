/**
 * Feedback of dashboard users on the product: written with a sentiment label, read back by its
 * author, triaged by admins (filters, counts, status changes in the audit log).
 */
import type { PrismaClient } from '../../db/prisma.js';
import { analyzeSentiment } from '../../domain/feedback/sentiment.js';
import type { Prisma, ProductFeedback } from '../../generated/prisma/client.js';
import { AppError } from '../../utils/AppError.js';
import { pageArgs, pageOf, type PageQuery } from '../../validators/common.js';
import type { AdminFeedbackQuery, ProductFeedbackBody } from '../../validators/feedbackValidators.js';
import { productFeedbackKinds } from '../../validators/feedbackValidators.js';
import { recordAudit, type AuditContext } from '../ops/auditService.js';

/** The API shape of an item (the author's view). */
export function productFeedbackView(f: ProductFeedback) {
  return {
    id: f.id,
    kind: f.kind,
    message: f.message,
    page: f.page,
    rating: f.rating,
    sentiment:
      f.sentimentLabel === null
        ? null
        : { label: f.sentimentLabel, score: f.sentimentScore ?? 0, language: f.sentimentLanguage },
    status: f.status,
    statusChangedAt: f.statusChangedAt,
    createdAt: f.createdAt,
  };
}

/** Stores one item of the signed-in user, with the sentiment of its message. */
export async function submitProductFeedback(
  prisma: PrismaClient,
  input: { userId: string; body: ProductFeedbackBody },
) {
  const { body } = input;
  const sentiment = analyzeSentiment(body.message, body.language);
  const row = await prisma.productFeedback.create({
    data: {
      userId: input.userId,
      kind: body.kind,
      message: body.message,
      page: body.page ?? null,
      rating: body.rating ?? null,
      sentimentLabel: sentiment?.label ?? null,
      sentimentScore: sentiment?.score ?? null,
      sentimentLanguage: sentiment?.language ?? null,
    },
  });
  return productFeedbackView(row);
}

/** The caller's own items, newest first, with their status. */
export async function listOwnFeedback(prisma: PrismaClient, input: { userId: string; query: PageQuery }) {
  const { query: q } = input;
  const where = { userId: input.userId };
  const [rows, total] = await Promise.all([
    prisma.productFeedback.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      ...pageArgs(q),
    }),
    prisma.productFeedback.count({ where }),
  ]);
  return pageOf(rows.map(productFeedbackView), q, total);
}

/**
 * Every user's items for admins, filtered by kind, sentiment, status and period, with counts per
 * kind and per sentiment over the period (the kind and sentiment filters do not narrow the counts,
 * so the admin sees the whole distribution next to the filtered list).
 */
export async function listAllFeedback(prisma: PrismaClient, q: AdminFeedbackQuery) {
  const period: Prisma.ProductFeedbackWhereInput = {
    ...(q.from || q.to ? { createdAt: { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lte: q.to } : {}) } } : {}),
    ...(q.status ? { status: q.status } : {}),
  };
  const where: Prisma.ProductFeedbackWhereInput = {
    ...period,
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.sentiment ? { sentimentLabel: q.sentiment } : {}),
  };
  const [rows, total, kinds, sentiments] = await Promise.all([
    prisma.productFeedback.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      ...pageArgs(q),
      include: { user: { select: { id: true, email: true, name: true } } },
    }),
    prisma.productFeedback.count({ where }),
    prisma.productFeedback.groupBy({ by: ['kind'], where: period, _count: { _all: true } }),
    prisma.productFeedback.groupBy({ by: ['sentimentLabel'], where: period, _count: { _all: true } }),
  ]);
  const byKind = Object.fromEntries(productFeedbackKinds.map((k) => [k, 0])) as Record<string, number>;
  for (const k of kinds) byKind[k.kind] = k._count._all;
  const bySentiment: Record<string, number> = { negative: 0, neutral: 0, positive: 0, none: 0 };
  for (const s of sentiments) bySentiment[s.sentimentLabel ?? 'none'] = s._count._all;
  return {
    ...pageOf(
      rows.map((r) => ({ ...productFeedbackView(r), user: r.user })),
      q,
      total,
    ),
    counts: { byKind, bySentiment },
  };
}

/** An admin sets the status of an item; the change (from, to) is audited. 404 for an unknown id. */
export async function setFeedbackStatus(
  prisma: PrismaClient,
  input: { id: string; status: ProductFeedback['status']; audit: AuditContext },
) {
  const before = await prisma.productFeedback.findUnique({ where: { id: input.id } });
  if (!before) throw AppError.notFound('Feedback');
  const row = await prisma.productFeedback.update({
    where: { id: input.id },
    data: { status: input.status, statusChangedAt: new Date(), statusChangedById: input.audit.actorId ?? null },
  });
  await recordAudit(prisma, input.audit, {
    action: 'feedback.status_change',
    targetType: 'feedback',
    targetId: row.id,
    metadata: { from: before.status, to: row.status },
  });
  return productFeedbackView(row);
}
