/**
 * POST /v1/chat/completions as a story. Before the upstream call, the same steps as
 * /llm/request (services/ingest: admission.admitCall -> assessment.assessExchange): remediations (disabled
 * endpoint 403, end-user rate limit 429, switch_model, change_system_prompt), plan quota, risk
 * score and PII handling; a `block` decision answers 400 content_filter without calling
 * upstream, PII `redact` redacts the messages before they leave. Then the call with the
 * official `openai` SDK (timeout, retries with backoff on 408/409/429/5xx, then the fallback
 * models in order: upstreamCalls.ts), and the exchange is recorded through the same durable ingest writer
 * (recordCall), with the response's risk too. While an A/B split runs, the end user's arm
 * (sticky by `user`) is the project context of all of it, and its version is on the row and
 * in `x-llmguard-config-version`.
 */
import type { InjectionGuard } from '../../domain/guard/injectionGuard.js';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import type { Logger } from 'pino';
import { type ChatMessage, promptOf } from '../../domain/chat/messages.js';
import { uuidv7 } from '../../utils/ids.js';
import { type Admission, type IngestDeps, admitCall, contextForCall } from '../ingest/admission.js';
import { type Assessment } from '../ingest/assessment.js';
import { assessExchangeAsync } from '../ingest/largeAssessment.js';
import { recordCall } from '../ingest/recording.js';
import type { ProjectContext, VerifiedKey } from '../auth/keyCache.js';
import type { Enforcement } from '../incidents/remediationEnforcer.js';
import { configDefaults, configVersionHeader, outgoingMessages } from './chatPolicy.js';
import { GatewayRefusal, toGatewayFailure } from './openaiErrors.js';
import type { ResolvedProvider } from './providerUse.js';
import type { Upstream, UpstreamRegistry } from './upstreams.js';

export { configDefaults, configVersionHeader, outgoingMessages };

export interface GatewayDeps extends IngestDeps {
  upstreams: UpstreamRegistry;
  /** audits a use of a provider key (throttled) */
  auditUse: (provider: ResolvedProvider, apiKeyId: string) => void;
  logger: Logger;
}

export type Auth = { key: VerifiedKey; project: ProjectContext };

type Message = ChatMessage;

export interface ChatBody {
  model: string;
  messages: Message[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null; [k: string]: unknown } | null;
  user?: string;
  [k: string]: unknown;
}

export interface ChatRequest {
  auth: Auth;
  body: ChatBody;
  /** x-llmguard-provider (default "default") */
  providerName: string;
  /** x-llmguard-endpoint: what disable_endpoint remediations match */
  endpoint: string | null;
  /** x-llmguard-fallback-models, tried after the provider's own list */
  extraFallbacks: string[];
}

/** A call admitted by the pre-call checks, ready to go upstream. */
export interface PreparedChat {
  id: string;
  started: number;
  request: ChatRequest;
  admission: Admission;
  /** risk of the prompt alone (the headers of a stream carry it) */
  pre: Assessment;
  prompt: string;
  upstream: Upstream;
  /** effective model first, then the fallbacks */
  models: string[];
  params: Omit<ChatCompletionCreateParams, 'model' | 'stream'>;
  /** the injection classifier the prompt was scored with (the response is scored with it too) */
  guard: InjectionGuard | null;
}

function refusedPolicy(project: ProjectContext, model: string): Enforcement {
  return {
    effectiveModel: model,
    systemPrompt: project.systemPrompt,
    safetyThreshold: project.safetyThreshold,
    applied: [],
    flags: [],
  };
}

/**
 * The pre-call checks. Throws a refusal (already recorded when it is one of ours), or returns
 * what to send upstream.
 */
export async function prepareChat(deps: GatewayDeps, incoming: ChatRequest): Promise<PreparedChat> {
  const started = performance.now();
  const id = uuidv7();
  const { body } = incoming;
  const userId = body.user ?? null;
  const prompt = promptOf(body.messages);
  // While an A/B split runs, the end user's arm answers the call, sticky by `user` as on /llm/request.
  const project = contextForCall(incoming.auth.project, userId, () => prompt);
  const auth: Auth = { ...incoming.auth, project };
  const request: ChatRequest = { ...incoming, auth };
  const call = { model: body.model, endpoint: request.endpoint, userId };
  const metadata = { gateway: { provider: request.providerName, stream: body.stream === true } };

  let admission: Admission;
  try {
    admission = await admitCall(deps, project, call);
  } catch (err) {
    const failure = toGatewayFailure(err);
    if (failure.summary === 'endpoint_disabled' || failure.summary === 'rate_limit_exceeded') {
      // Refused by a remediation: recorded like any other call (under the plan quota if it has room).
      const quota = await deps.quota.counter(project).catch(() => null);
      if (quota) {
        const policy = refusedPolicy(project, body.model);
        await recordCall(
          deps,
          auth,
          { policy, quota },
          await assessExchangeAsync(project, policy, { prompt, response: null, model: body.model }, deps.guard),
          {
            id,
            ...call,
            latencyMs: Math.round(performance.now() - started),
            promptTokens: null,
            completionTokens: null,
            status: 'error',
            error: failure.summary,
            metadata,
          },
        ).catch((e: unknown) => deps.logger.warn({ err: e }, 'gateway: refused call not recorded'));
      }
    }
    throw err;
  }
  const { policy } = admission;
  const pre = await assessExchangeAsync(
    project,
    policy,
    { prompt, response: null, model: policy.effectiveModel },
    deps.guard,
  );
  if (pre.decision === 'block') {
    await recordCall(deps, auth, admission, pre, {
      id,
      ...call,
      servedModel: policy.effectiveModel,
      latencyMs: Math.round(performance.now() - started),
      promptTokens: null,
      completionTokens: null,
      status: 'error',
      error: 'content_filter',
      metadata,
    });
    throw new GatewayRefusal(
      400,
      'invalid_request_error',
      'content_filter',
      `The prompt was blocked by the project's guardrails (risk ${pre.risk.score}, flags: ${pre.flags.join(', ') || 'none'})`,
      {
        'x-llmguard-request-id': id,
        'x-llmguard-risk': String(pre.risk.score),
        'x-llmguard-decision': 'block',
        ...configVersionHeader(project),
      },
    );
  }

  const upstream = await deps.upstreams.resolve(project.projectId, request.providerName);
  if (!upstream) {
    throw new GatewayRefusal(
      400,
      'invalid_request_error',
      'provider_not_configured',
      `This project has no provider named "${request.providerName}" (POST /api/v1/projects/{id}/providers)`,
    );
  }
  const config = configDefaults(project);
  const models = [
    ...new Set([
      policy.effectiveModel,
      ...config.fallbackModels,
      ...upstream.provider.fallbackModels,
      ...request.extraFallbacks,
    ]),
  ];
  const redact = project.piiMode === 'redact' && pre.piiFound;
  const { model: _model, stream: _stream, messages, ...rest } = body;
  const params = {
    ...config.params(rest),
    ...rest,
    messages: outgoingMessages(messages, policy, redact),
  } as unknown as PreparedChat['params'];
  deps.auditUse(upstream.provider, auth.key.apiKeyId);
  return { id, started, request, admission, pre, prompt, upstream, models, params, guard: deps.guard };
}

export interface ChatOutcome {
  servedModel: string;
  attempts: string[];
  responseText: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  status: 'success' | 'error';
  error: string | null;
  ttftMs?: number;
}

/** Records the exchange (response risk included) and returns the assessment the headers report. */
export function finalAssessment(prepared: PreparedChat, responseText: string | null): Promise<Assessment> {
  const { project } = prepared.request.auth;
  return assessExchangeAsync(
    project,
    prepared.admission.policy,
    // the prompt was scored before the call: only the response is new
    {
      prompt: prepared.prompt,
      response: responseText,
      model: prepared.models[0]!,
      promptRisk: prepared.pre.promptRisk,
    },
    prepared.guard,
  );
}

/**
 * How long the row of an answered call may wait for its batch. The answer does not wait for the
 * commit, so rows of calls made within this window share one commit (and one round of rollup and
 * incident-rule work) instead of paying for one each; the answer is not delayed by it.
 */
export const GATEWAY_COMMIT_WAIT_MS = 20;

export async function recordChat(
  deps: GatewayDeps,
  prepared: PreparedChat,
  assessment: Assessment,
  outcome: ChatOutcome,
): Promise<void> {
  const { request } = prepared;
  await recordCall(deps, request.auth, prepared.admission, assessment, {
    id: prepared.id,
    model: request.body.model,
    servedModel: outcome.servedModel,
    pricedModel: outcome.servedModel,
    endpoint: request.endpoint,
    userId: request.body.user ?? null,
    latencyMs: Math.round(performance.now() - prepared.started),
    promptTokens: outcome.promptTokens,
    completionTokens: outcome.completionTokens,
    status: outcome.status,
    error: outcome.error,
    commitWaitMs: GATEWAY_COMMIT_WAIT_MS,
    metadata: {
      gateway: {
        provider: prepared.upstream.provider.name,
        providerVersion: prepared.upstream.provider.version,
        stream: request.body.stream === true,
        attempts: outcome.attempts,
        ...(outcome.ttftMs !== undefined ? { ttftMs: Math.round(outcome.ttftMs) } : {}),
      },
    },
  });
}
