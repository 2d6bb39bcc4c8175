import { describe, expect, it } from 'vitest';
import { feedbackReport, isNegative, isValidScore, normalizedScore } from '../../src/domain/feedback/feedbackScore.js';
import { DEFAULT_THRESHOLDS as T, negativeFeedbackFinding } from '../../src/domain/incidents/incidentRules.js';

describe('feedback scores', () => {
  it('should accept only -1 and 1 for thumbs and 1-5 for stars', () => {
    expect([-1, 1].every((s) => isValidScore('thumbs', s))).toBe(true);
    expect([0, 2, 5].some((s) => isValidScore('thumbs', s))).toBe(false);
    expect([1, 2, 3, 4, 5].every((s) => isValidScore('stars', s))).toBe(true);
    expect([0, 6, -1, 2.5].some((s) => isValidScore('stars', s))).toBe(false);
  });

  it('should count thumbs down and one or two stars as negative', () => {
    expect(isNegative('thumbs', -1)).toBe(true);
    expect(isNegative('thumbs', 1)).toBe(false);
    expect([1, 2, 3, 4, 5].map((s) => isNegative('stars', s))).toEqual([true, true, false, false, false]);
  });

  it('should put both scales on 0-1', () => {
    expect([normalizedScore('thumbs', -1), normalizedScore('thumbs', 1)]).toEqual([0, 1]);
    expect([1, 3, 5].map((s) => normalizedScore('stars', s))).toEqual([0, 0.5, 1]);
  });

  it('should roll groups up per model with the same averages as the items one by one', () => {
    const report = feedbackReport([
      { model: 'a', scale: 'thumbs', negative: true, count: 1, scoreSum: -1 },
      { model: 'a', scale: 'thumbs', negative: false, count: 3, scoreSum: 3 },
      { model: 'b', scale: 'stars', negative: false, count: 2, scoreSum: 9 },
    ]);
    expect(report.summary).toMatchObject({ count: 6, negative: 1, thumbsUp: 3, thumbsDown: 1, averageStars: 4.5 });
    // normalised: 0, 1, 1, 1 (thumbs) and 0.75, 1 (4 and 5 stars) -> 4.75 / 6
    expect(report.summary.averageScore).toBeCloseTo(4.75 / 6, 4);
    expect(report.byModel.map((m) => [m.model, m.count, m.negativeShare])).toEqual([
      ['a', 4, 0.25],
      ['b', 2, 0],
    ]);
    expect(feedbackReport([]).summary).toMatchObject({ count: 0, negativeShare: null, averageScore: null });
  });
});

describe('negative-feedback rule', () => {
  const counts = [
    { model: 'gpt-4o', total: 6, negative: 4 },
    { model: 'gpt-4o-mini', total: 5, negative: 1 },
    { model: 'tiny', total: 2, negative: 0 },
  ];

  it('should fire at half negative or more once the sample is large enough, naming a better-rated model', () => {
    expect(negativeFeedbackFinding(counts, 'gpt-4o', T)).toMatchObject({
      total: 6,
      negative: 4,
      severity: 'low',
      alternativeModel: 'gpt-4o-mini',
    });
    expect(negativeFeedbackFinding([{ model: 'm', total: 5, negative: 5 }], 'm', T)).toMatchObject({
      severity: 'high',
      alternativeModel: null,
    });
  });

  it('should not fire below the share or the minimum sample', () => {
    expect(negativeFeedbackFinding(counts, 'gpt-4o-mini', T)).toBeNull();
    expect(negativeFeedbackFinding([{ model: 'm', total: 4, negative: 4 }], 'm', T)).toBeNull();
    expect(negativeFeedbackFinding(counts, 'unknown', T)).toBeNull();
  });
});
