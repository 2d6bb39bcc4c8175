/** A call's row as the ingest writer takes it, with plain defaults: a test sets what it is about. */
import type { LlmRequestRow } from '../../src/services/ingest/ingestWriter.js';
import { uuidv7 } from '../../src/utils/ids.js';

export function requestRow(projectId: string, fields: Partial<LlmRequestRow> = {}): LlmRequestRow {
  return {
    id: uuidv7(),
    projectId,
    apiKeyId: null,
    model: 'gpt-4o',
    effectiveModel: 'gpt-4o',
    endpoint: null,
    endUserId: null,
    prompt: 'hello',
    response: null,
    systemPrompt: null,
    latencyMs: 100,
    promptTokens: null,
    completionTokens: null,
    totalTokens: null,
    status: 'success',
    error: null,
    metadata: null,
    riskScore: 0,
    riskLevel: 'low',
    riskFlags: [],
    decision: 'allow',
    costUsd: null,
    piiRedacted: false,
    createdAt: new Date(),
    ...fields,
  };
}
