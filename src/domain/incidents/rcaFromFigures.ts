/**
 * The deterministic RCA (rcaFallback.ts) of the two incident types judged from their figures
 * alone, without the requests: a statistical anomaly (the anomaly job's findings) and an
 * external alert (a Datadog monitor).
 */
import type { RcaAnswer, RcaIncident } from './rcaPrompt.js';
import { redactAndTruncate } from './rcaPrompt.js';
import { num, round, str, where, window, type Figures } from './rcaFigures.js';

const ANOMALY_HINTS: [RegExp, string][] = [
  [/latency/i, 'check the provider status and the models used in that hour'],
  [/error/i, 'look at the error messages of that hour and the provider status'],
  [/cost/i, 'look for longer prompts, a pricier model or a retry loop'],
  [/request|volume/i, 'look for a new traffic source, a batch job or abuse by one end user'],
  [/risk/i, 'review the high-risk requests of that hour for an attack campaign'],
];

interface AnomalyFigure {
  metric: string;
  value?: number;
  mean?: number;
  stddev?: number;
  zScore?: number;
}

/** The findings of the anomaly job (or one flat finding), largest z-score first. */
function anomalyFindings(f: Figures): AnomalyFigure[] {
  const raw = Array.isArray(f.findings) ? f.findings : [f];
  return raw
    .filter((x): x is Figures => x !== null && typeof x === 'object')
    .map((x) => ({
      metric: str(x, 'metric') ?? 'a traffic metric',
      value: num(x, 'value'),
      mean: num(x, 'mean'),
      stddev: num(x, 'stddev', 'stdDev'),
      // null in stored JSON: a flat baseline made the z-score infinite
      zScore: num(x, 'zScore') ?? (x.zScore === null ? Infinity : undefined),
    }))
    .sort((a, b) => Math.abs(b.zScore ?? 0) - Math.abs(a.zScore ?? 0));
}

function describeAnomaly(a: AnomalyFigure): string {
  return (
    `hourly ${a.metric}` +
    (a.value !== undefined ? ` was ${round(a.value)}` : '') +
    (a.mean !== undefined
      ? ` against a baseline mean of ${round(a.mean)}${a.stddev !== undefined ? ` (σ ${round(a.stddev)})` : ''}`
      : '') +
    (a.zScore === Infinity ? ' on a flat baseline' : a.zScore !== undefined ? `, z-score ${round(a.zScore)}` : '')
  );
}

/** A statistical anomaly: its largest findings, and where to look for the metric that moved. */
export function anomaly(i: RcaIncident, f: Figures): RcaAnswer {
  const findings = anomalyFindings(f).slice(0, 3);
  const hint = ANOMALY_HINTS.find(([re]) => re.test(findings[0]?.metric ?? ''))?.[1];
  return {
    severity: i.severity,
    rootCause:
      `Traffic${where(i)} left its 3-sigma band (${window(i)})` +
      (findings.length ? `: ${findings.map(describeAnomaly).join('; ')}.` : '.'),
    recommendedFix:
      `Compare that hour with the baseline by model and endpoint in the metrics dashboard` +
      (hint ? `; ${hint}` : '') +
      '. Resolve the incident if the change was expected (a launch, a load test).',
  };
}

/** An external monitor's alert: its own words, priority and tags, and its runbook. */
export function external(i: RcaIncident, f: Figures): RcaAnswer {
  const priority = str(f, 'priority');
  const link = str(f, 'link', 'url');
  const tags = Array.isArray(f.tags) ? f.tags.filter((t): t is string => typeof t === 'string').slice(0, 5) : [];
  return {
    severity: i.severity,
    rootCause:
      `External monitoring alert${priority ? ` (${priority})` : ''}: "${redactAndTruncate(i.title, 200)}"` +
      (i.description ? ` - ${redactAndTruncate(i.description, 300)}` : '') +
      (tags.length ? ` [${tags.join(', ')}]` : '') +
      ` (${window(i)}).`,
    recommendedFix:
      `Follow the monitor's runbook${link ? ` (${link})` : ''} and correlate the alert with the project's LLM ` +
      'latency, errors and cost for the same period; the incident resolves when the monitor recovers.',
  };
}
