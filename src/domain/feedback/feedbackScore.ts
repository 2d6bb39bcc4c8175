/**
 * Scores of feedback on LLM calls: thumbs (-1 or 1) or stars (1-5). Pure.
 */
export type FeedbackScale = 'thumbs' | 'stars';

export const SCORE_RANGE: Record<FeedbackScale, { values: readonly number[]; text: string }> = {
  thumbs: { values: [-1, 1], text: '-1 (thumbs down) or 1 (thumbs up)' },
  stars: { values: [1, 2, 3, 4, 5], text: 'an integer from 1 to 5' },
};

export function isValidScore(scale: FeedbackScale, score: number): boolean {
  return SCORE_RANGE[scale].values.includes(score);
}

/** Thumbs down, or one or two stars: what the negative share and the spike rule count. */
export function isNegative(scale: FeedbackScale, score: number): boolean {
  return scale === 'thumbs' ? score < 0 : score <= 2;
}

/** The score on one 0-1 scale, so thumbs and stars average together (thumbs up 1, 3 stars 0.5). */
export function normalizedScore(scale: FeedbackScale, score: number): number {
  return scale === 'thumbs' ? (score > 0 ? 1 : 0) : (score - 1) / 4;
}

export interface FeedbackGroup {
  model: string;
  /** the configuration version the call ran under; null for calls from before versions */
  configVersion?: number | null;
  scale: FeedbackScale;
  negative: boolean;
  count: number;
  scoreSum: number;
}

export interface FeedbackStats {
  count: number;
  negative: number;
  negativeShare: number | null;
  /** mean of the normalised scores (0-1) across both scales */
  averageScore: number | null;
  /** mean of star ratings (1-5), null without any */
  averageStars: number | null;
  thumbsUp: number;
  thumbsDown: number;
}

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;

function stats(groups: FeedbackGroup[]): FeedbackStats {
  let count = 0;
  let negative = 0;
  let normalizedSum = 0;
  let stars = 0;
  let starSum = 0;
  let thumbsUp = 0;
  let thumbsDown = 0;
  for (const g of groups) {
    count += g.count;
    if (g.negative) negative += g.count;
    if (g.scale === 'stars') {
      stars += g.count;
      starSum += g.scoreSum;
      normalizedSum += (g.scoreSum - g.count) / 4;
    } else {
      // thumbs: scoreSum = up - down and count = up + down
      const up = (g.count + g.scoreSum) / 2;
      thumbsUp += up;
      thumbsDown += g.count - up;
      normalizedSum += up;
    }
  }
  return {
    count,
    negative,
    negativeShare: count ? round4(negative / count) : null,
    averageScore: count ? round4(normalizedSum / count) : null,
    averageStars: stars ? round4(starSum / stars) : null,
    thumbsUp,
    thumbsDown,
  };
}

/** The /metrics feedback block: totals, one row per model (most feedback first) and one per configuration version (calls without a version are in the totals only). */
export function feedbackReport(groups: FeedbackGroup[]) {
  const byModel = new Map<string, FeedbackGroup[]>();
  for (const g of groups) byModel.set(g.model, [...(byModel.get(g.model) ?? []), g]);
  const byVersion = new Map<number, FeedbackGroup[]>();
  for (const g of groups) {
    if (g.configVersion == null) continue;
    byVersion.set(g.configVersion, [...(byVersion.get(g.configVersion) ?? []), g]);
  }
  return {
    summary: stats(groups),
    byModel: [...byModel]
      .map(([model, list]) => ({ model, ...stats(list) }))
      .sort((a, b) => b.count - a.count || a.model.localeCompare(b.model)),
    byConfigVersion: [...byVersion]
      .map(([configVersion, list]) => ({ configVersion, ...stats(list) }))
      .sort((a, b) => a.configVersion - b.configVersion),
  };
}
