/**
 * The deterministic RCA: written from the incident's figures and related requests when there is
 * no OpenAI key or the call fails. Pure, so the same data always gives the same analysis.
 *
 * Figures keys read, as the detectors write them (each optional; what is missing is computed
 * from the samples or left out): latency `thresholdMs`, `maxLatencyMs`, `p95Ms`; error_rate
 * `errorRate` (0-1), `errors`, `total`; risk `threshold`, `consecutive`; cost_spike
 * `last24hCostUsd`, `trailingDailyAverageUsd`; anomaly `findings: [{ metric, value, mean, stddev,
 * zScore }]`; external (Datadog) `priority`, `link`, `tags`; negative_feedback `model`, `negative`,
 * `total`, `negativeShare`, `alternativeModel`.
 *
 * The text states only what the data shows: a model is named (and suggested) only when the
 * incident's own requests used it, so a switch_model suggestion moves traffic to a model the
 * project already runs and that did better in the same sample.
 */
import type { RcaAnswer, RcaIncident, RcaRequest, SuggestedRemediation } from './rcaPrompt.js';
import { redactAndTruncate } from './rcaPrompt.js';
import { DEFAULT_THRESHOLDS } from './incidentRules.js';
import {
  byModel,
  listTop,
  median,
  mostFrequent,
  ms,
  num,
  pct,
  percentile,
  sentence,
  str,
  top,
  usd,
  where,
  window,
  type Figures,
} from './rcaFigures.js';
import { anomaly, external } from './rcaFromFigures.js';

const DEFAULT_LATENCY_THRESHOLD_MS = 5_000;

/**
 * Another model of the sample whose every request stayed within the threshold, the fastest by
 * median (none: the sample shows no model to move to).
 */
function fasterModel(
  reqs: readonly RcaRequest[],
  slowModel: string | undefined,
  threshold: number,
): { model: string; medianMs: number } | undefined {
  let best: { model: string; medianMs: number } | undefined;
  for (const [model, rows] of byModel(reqs)) {
    if (model === slowModel || rows.some((r) => r.latencyMs > threshold)) continue;
    const medianMs = median(rows.map((r) => r.latencyMs));
    if (!best || medianMs < best.medianMs) best = { model, medianMs };
  }
  return best;
}

function latency(i: RcaIncident, f: Figures, reqs: readonly RcaRequest[]): RcaAnswer {
  const threshold = num(f, 'thresholdMs') ?? DEFAULT_LATENCY_THRESHOLD_MS;
  const slow = reqs.filter((r) => r.latencyMs > threshold);
  const latencies = slow.map((r) => r.latencyMs);
  const p95 = num(f, 'p95Ms', 'p95LatencyMs') ?? percentile(latencies, 95);
  const max = num(f, 'maxMs', 'maxLatencyMs') ?? (latencies.length ? Math.max(...latencies) : undefined);
  // The slow model is the one the slow requests used, never a model merely present in the window.
  const model = mostFrequent(slow.map((r) => r.effectiveModel));
  const faster = fasterModel(reqs, model?.value, threshold);
  const observed = [p95 !== undefined && `p95 ${ms(p95)}`, max !== undefined && `max ${ms(max)}`].filter(Boolean);
  return {
    severity: i.severity,
    rootCause:
      `Latency${where(i)} exceeded the ${ms(threshold)} threshold (${window(i)})` +
      (observed.length ? `: observed ${observed.join(', ')}` : '') +
      (model ? `; ${model.count} of ${slow.length} slow sampled requests used ${model.value}.` : '.'),
    recommendedFix: sentence([
      model &&
        faster &&
        `move this traffic off ${model.value} to ${faster.model}, which answered the same period's sampled ` +
          `requests in ${ms(faster.medianMs)} at the median`,
      'cap max tokens or stream responses',
      `check the provider status page for degradation${model ? ` of ${model.value}` : ''}`,
    ]),
    ...(model && faster
      ? { suggestedRemediation: { action: 'switch_model', params: { from: model.value, to: faster.model } } }
      : {}),
  };
}

function errorRate(i: RcaIncident, f: Figures, reqs: readonly RcaRequest[]): RcaAnswer {
  const failed = reqs.filter((r) => r.status === 'error');
  const rawRate = num(f, 'errorRate', 'rate');
  const errors = num(f, 'errors', 'errorCount');
  const total = num(f, 'total', 'requests', 'sampleSize');
  const rate =
    rawRate !== undefined ? (rawRate > 1 ? rawRate / 100 : rawRate) : errors && total ? errors / total : undefined;
  const share =
    rate !== undefined
      ? `${pct(rate)} of requests${errors !== undefined && total ? ` (${errors} of ${total})` : ''}`
      : `${failed.length} sampled requests`;
  const messages = top(
    failed.map((r) => (r.error ? redactAndTruncate(r.error, 120) : 'no error message')),
    3,
  );
  const model = mostFrequent(failed.map((r) => r.effectiveModel));
  return {
    severity: i.severity,
    rootCause:
      `${share}${where(i)} failed (${window(i)})` +
      (messages.length
        ? `; most frequent errors: ${messages.map((m) => `"${m.value}" (${m.count})`).join(', ')}`
        : '') +
      (model ? `; ${model.count} of ${failed.length} failed samples used ${model.value}.` : '.'),
    recommendedFix:
      `Check the provider status, credentials and quota${model ? ` for ${model.value}` : ''}; ` +
      'retry transient errors (timeouts, 429, 5xx) with backoff, route to a fallback model while the provider ' +
      'is degraded, and fix request-side errors (invalid parameters, context length) in the calling code.',
  };
}

function risk(i: RcaIncident, f: Figures, reqs: readonly RcaRequest[]): RcaAnswer {
  const above = num(f, 'threshold') ?? DEFAULT_THRESHOLDS.riskScore;
  const consecutive = num(f, 'consecutive');
  const risky = reqs.filter((r) => r.riskScore > above);
  const flags = top(
    risky.flatMap((r) => r.riskFlags),
    3,
  );
  const user = mostFrequent(risky.flatMap((r) => (r.endUserId ? [r.endUserId] : [])));
  const maxScore = risky.length ? Math.max(...risky.map((r) => r.riskScore)) : undefined;
  const oneUser = user && user.count >= 2 && user.count * 2 >= risky.length ? user : undefined;
  // Requests at or above the safety threshold are blocked: well below the detection line.
  const threshold = Math.max(0, Math.min(70, above - 10));
  const suggestion: SuggestedRemediation = oneUser
    ? { action: 'rate_limit_user', params: { userId: oneUser.value, limit: 10, windowSeconds: 3600 } }
    : { action: 'increase_safety_threshold', params: { threshold } };
  return {
    severity: i.severity,
    rootCause:
      `${consecutive ?? risky.length} ${consecutive !== undefined ? 'consecutive' : 'sampled'} requests${where(i)} scored above ${above}` +
      (maxScore !== undefined ? ` (max ${maxScore})` : '') +
      ` (${window(i)})` +
      (flags.length ? `; top risk flags: ${listTop(flags)}` : '') +
      (oneUser ? `; ${oneUser.count} of them came from end user "${oneUser.value}".` : '.'),
    recommendedFix: oneUser
      ? `Review end user "${oneUser.value}"'s requests in the log search and rate-limit or block them; ` +
        'harden the system prompt against instruction override.'
      : `Review the flagged requests in the log search, block them by lowering the safety threshold to ${threshold}, ` +
        'and harden the system prompt against instruction override.',
    suggestedRemediation: suggestion,
  };
}

/** Cost per token of a model in the sample (per request when tokens are unknown). */
function unitCost(rows: readonly RcaRequest[]): number {
  const tokens = rows.reduce((a, r) => a + (r.totalTokens ?? 0), 0);
  const cost = rows.reduce((a, r) => a + (r.costUsd ?? 0), 0);
  return tokens > 0 ? cost / tokens : cost / rows.length;
}

function costSpike(i: RcaIncident, f: Figures, reqs: readonly RcaRequest[]): RcaAnswer {
  const groups = byModel(reqs);
  const costs = [...groups].map(([model, rows]) => [model, rows.reduce((a, r) => a + (r.costUsd ?? 0), 0)] as const);
  const sampled = costs.reduce((a, [, c]) => a + c, 0);
  const [driver] = [...costs].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const cost = num(f, 'last24hCostUsd', 'costUsd');
  const baseline = num(f, 'trailingDailyAverageUsd', 'baselineUsd');
  // A cheaper model is one the sample shows the project using, at a lower cost per token.
  const driverUnit = driver ? unitCost(groups.get(driver[0])!) : undefined;
  const cheaper = [...groups]
    .filter(([model]) => model !== driver?.[0])
    .map(([model, rows]) => ({ model, unit: unitCost(rows) }))
    .filter((c) => driverUnit !== undefined && c.unit < driverUnit)
    .sort((a, b) => a.unit - b.unit || a.model.localeCompare(b.model))[0];
  const suggestion: SuggestedRemediation | undefined =
    driver && cheaper ? { action: 'switch_model', params: { from: driver[0], to: cheaper.model } } : undefined;
  return {
    severity: i.severity,
    rootCause:
      `Cost${where(i)} spiked (${window(i)})` +
      (cost !== undefined && baseline !== undefined && baseline > 0
        ? `: ${usd(cost)} against a trailing daily average of ${usd(baseline)} (+${pct(cost / baseline - 1)})`
        : cost !== undefined
          ? `: ${usd(cost)}`
          : '') +
      (driver && sampled > 0
        ? `; ${driver[0]} drove ${pct(driver[1] / sampled)} of the cost of the sampled requests.`
        : '.'),
    recommendedFix: sentence([
      driver &&
        cheaper &&
        `move traffic off ${driver[0]} to ${cheaper.model}, which costs less per token in the same sample`,
      'cap max tokens',
      'look for retry loops or a single end user driving the volume',
    ]),
    ...(suggestion ? { suggestedRemediation: suggestion } : {}),
  };
}

function negativeFeedback(i: RcaIncident, f: Figures, reqs: readonly RcaRequest[]): RcaAnswer {
  const model = str(f, 'model') ?? mostFrequent(reqs.map((r) => r.effectiveModel))?.value;
  const negative = num(f, 'negative');
  const total = num(f, 'total');
  const share = num(f, 'negativeShare') ?? (negative !== undefined && total ? negative / total : undefined);
  const alternative = str(f, 'alternativeModel');
  const endpoints = top(reqs.map((r) => r.endpoint ?? '').filter(Boolean), 3);
  const suggestion: SuggestedRemediation | undefined =
    model && alternative ? { action: 'switch_model', params: { from: model, to: alternative } } : undefined;
  return {
    severity: i.severity,
    rootCause:
      `Users rated the answers of ${model ?? 'one model'} negatively` +
      (negative !== undefined && total !== undefined ? `: ${negative} of ${total} feedback items` : '') +
      (share !== undefined ? ` (${pct(share)})` : '') +
      ` in the last hour (${window(i)})` +
      (endpoints.length ? `; the rated calls came from ${listTop(endpoints)}.` : '.'),
    recommendedFix:
      'Read the rated answers and their comments, and compare them with the calls before the spike: a changed ' +
      'system prompt, model version or upstream is the usual cause. ' +
      (alternative
        ? `${alternative} has a lower negative share over the same hour; switch the traffic to it while you investigate.`
        : 'Roll back the last prompt or model change, or switch the traffic to the model that served it before.'),
    ...(suggestion ? { suggestedRemediation: suggestion } : {}),
  };
}

/** The fallback analysis for any incident type. */
export function fallbackRca(incident: RcaIncident, requests: readonly RcaRequest[]): RcaAnswer {
  const f = (
    incident.figures && typeof incident.figures === 'object' && !Array.isArray(incident.figures) ? incident.figures : {}
  ) as Figures;
  switch (incident.type) {
    case 'latency':
      return latency(incident, f, requests);
    case 'error_rate':
      return errorRate(incident, f, requests);
    case 'risk':
      return risk(incident, f, requests);
    case 'cost_spike':
      return costSpike(incident, f, requests);
    case 'anomaly':
      return anomaly(incident, f);
    case 'external':
      return external(incident, f);
    case 'negative_feedback':
      return negativeFeedback(incident, f, requests);
  }
}
