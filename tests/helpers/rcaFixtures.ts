/** In-memory incidents and requests for the pure RCA modules (no database). */
import type { RcaIncident, RcaRequest } from '../../src/domain/incidents/rcaPrompt.js';

const T0 = new Date('2026-11-20T10:00:00.000Z');
const T1 = new Date('2026-11-20T10:05:00.000Z');

export function rcaIncident(over: Partial<RcaIncident> = {}): RcaIncident {
  return {
    type: 'latency',
    severity: 'high',
    title: 'Latency above 5000 ms on chat',
    description: null,
    endpoint: 'chat',
    count: 3,
    firstSeenAt: T0,
    lastSeenAt: T1,
    figures: { thresholdMs: 5000 },
    ...over,
  };
}

export function rcaRequest(over: Partial<RcaRequest> = {}): RcaRequest {
  return {
    createdAt: T1,
    model: 'gpt-4o',
    effectiveModel: 'gpt-4o',
    endpoint: 'chat',
    endUserId: 'user-1',
    prompt: 'Summarise the report.',
    response: 'Done.',
    latencyMs: 800,
    status: 'success',
    error: null,
    riskScore: 5,
    riskFlags: [],
    costUsd: 0.001,
    totalTokens: 200,
    ...over,
  };
}
