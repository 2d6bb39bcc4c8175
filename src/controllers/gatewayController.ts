import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { Model } from 'openai/resources/models';
import { admitCall } from '../services/ingest/admission.js';
import {
  type ChatBody,
  type ChatOutcome,
  type GatewayDeps,
  type PreparedChat,
  configVersionHeader,
  finalAssessment,
  prepareChat,
  recordChat,
} from '../services/gateway/chatGateway.js';
import { completeChat, openChatStream } from '../services/gateway/upstreamCalls.js';
import { GatewayRefusal, toGatewayFailure } from '../services/gateway/openaiErrors.js';
import type { Auth } from '../services/gateway/chatGateway.js';
import { sendJson } from '../utils/sendJson.js';
import { drained } from '../utils/streams.js';
import type { AppContext } from './context.js';

/** One of our x-llmguard-* request headers, trimmed and capped (what req.get() gives for them). */
const headerOf = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const raw = headers[name];
  const v = (Array.isArray(raw) ? raw.join(', ') : raw)?.trim();
  return v ? v.slice(0, 200) : undefined;
};
const header = (req: Request, name: string): string | undefined => headerOf(req.headers, name);

const uncork = (res: ServerResponse) => res.uncork();
const uncorkOnNextTick = (res: ServerResponse) => process.nextTick(uncork, res);
const uncorkAfterMicrotasks = (res: ServerResponse) => void Promise.resolve(res).then(uncorkOnNextTick);

/**
 * Holds what `res` is given until the end of this turn of the event loop, so that writes made
 * in the same turn leave in one system call (and one TCP segment): a streamed answer's
 * headers, the chunks that arrived together and, when nothing in between waits for I/O, its
 * end. Nothing waits longer than the turn it was written in.
 *
 * Uncorked on a tick queued after the microtasks that follow the next tick: the end of an
 * upstream body that arrived with its last chunks is seen on a tick of its own (the stream's
 * 'end'), and the loop that writes `[DONE]` resumes in the microtasks after it.
 */
function corkForTurn(res: ServerResponse): void {
  if (res.writableCorked) return;
  res.cork();
  process.nextTick(uncorkAfterMicrotasks, res);
}

/** Aborted when the client goes away before the answer is complete. */
function clientSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function gatewayController(ctx: AppContext) {
  const deps: GatewayDeps = {
    ...ctx.ingest,
    upstreams: ctx.gateway.upstreams,
    auditUse: ctx.gateway.auditUse,
    logger: ctx.logger,
  };
  const log = ctx.logger;

  /**
   * Records the call through the durable ingest writer. The row is queued before the answer
   * leaves (so a graceful stop still writes it) and committed a few milliseconds later; the
   * answer does not wait for that commit, which would add the commit's latency to every call.
   * A row that cannot be written is logged, never turned into an error (the upstream call
   * already ran). Feedback on the id in `x-llmguard-request-id` sent right away waits for the
   * row (POST /llm/feedback).
   */
  const record = async (prepared: PreparedChat, responseText: string | null, outcome: ChatOutcome) => {
    const assessment = await finalAssessment(prepared, responseText);
    recordChat(deps, prepared, assessment, outcome).catch((err: unknown) => {
      log.warn({ err: (err as Error).message, requestId: prepared.id }, 'gateway call not recorded');
    });
    return assessment;
  };

  const failed = (prepared: PreparedChat, err: unknown, attempts: string[]) => {
    const failure = toGatewayFailure(err, [prepared.upstream.provider.apiKey]);
    const aborted = failure.summary === 'client_closed_request';
    if (!aborted)
      log.warn({ requestId: prepared.id, error: failure.summary, attempts }, 'gateway upstream call failed');
    void record(prepared, null, {
      servedModel: attempts.at(-1) ?? prepared.models[0]!,
      attempts,
      responseText: null,
      promptTokens: null,
      completionTokens: null,
      status: 'error',
      error: failure.summary,
    });
    return failure;
  };

  /** An upstream failure in OpenAI's error shape (nothing to send when the client is gone). */
  function sendFailure(res: ServerResponse, failure: ReturnType<typeof failed>) {
    if (res.destroyed) return;
    for (const [name, value] of Object.entries(failure.headers)) res.setHeader(name, value);
    sendJson(res, failure.status, failure.body);
  }

  function llmguardHeaders(res: ServerResponse, prepared: PreparedChat, risk: number, decision: string) {
    res.setHeader('x-llmguard-request-id', prepared.id);
    res.setHeader('x-llmguard-risk', String(risk));
    res.setHeader('x-llmguard-decision', decision);
    for (const [name, value] of Object.entries(configVersionHeader(prepared.request.auth.project))) {
      res.setHeader(name, value);
    }
  }

  async function stream(body: ChatBody, res: ServerResponse, prepared: PreparedChat, signal: AbortSignal) {
    let opened: Awaited<ReturnType<typeof openChatStream>>;
    try {
      opened = await openChatStream(prepared, signal);
    } catch (err) {
      sendFailure(res, failed(prepared, err, (err as { attempts?: string[] }).attempts ?? []));
      return;
    }
    const wantUsage = body.stream_options?.include_usage === true;
    corkForTurn(res);
    llmguardHeaders(res, prepared, prepared.pre.risk.score, prepared.pre.decision);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const outcome: ChatOutcome = {
      servedModel: opened.servedModel,
      attempts: opened.attempts,
      responseText: null,
      promptTokens: null,
      completionTokens: null,
      status: 'success',
      error: null,
    };
    let text = '';
    try {
      for await (const chunk of opened.stream) {
        outcome.ttftMs ??= performance.now() - prepared.started;
        const delta = chunk.choices?.[0]?.delta?.content;
        if (typeof delta === 'string') text += delta;
        if (chunk.usage) {
          outcome.promptTokens = chunk.usage.prompt_tokens ?? null;
          outcome.completionTokens = chunk.usage.completion_tokens ?? null;
        }
        let out: unknown = chunk;
        if (!wantUsage) {
          // The client did not ask for usage: the chunk added for our records is not passed on.
          if (chunk.choices.length === 0 && chunk.usage) continue;
          if ('usage' in chunk) {
            const { usage: _usage, ...rest } = chunk;
            out = rest;
          }
        }
        corkForTurn(res);
        if (!res.write(`data: ${JSON.stringify(out)}\n\n`)) await drained(res); // or closed: then the stream is aborted anyway
        if (res.destroyed) break;
      }
      if (signal.aborted || res.destroyed) {
        outcome.status = 'error';
        outcome.error = 'client_closed_request';
      } else {
        outcome.responseText = text;
        await record(prepared, text, outcome);
        res.end('data: [DONE]\n\n');
        return;
      }
    } catch (err) {
      outcome.status = 'error';
      if (signal.aborted) {
        outcome.error = 'client_closed_request';
      } else {
        const failure = toGatewayFailure(err, [prepared.upstream.provider.apiKey]);
        outcome.error = failure.summary;
        log.warn({ requestId: prepared.id, error: failure.summary }, 'gateway stream failed');
        if (!res.destroyed) res.end(`data: ${JSON.stringify(failure.body)}\n\n`);
      }
    }
    outcome.responseText = text;
    void record(prepared, text, outcome);
  }

  /**
   * POST /v1/chat/completions on node's own response, so that Express's route and the direct
   * path (routes/gatewayFastPath.ts) answer with the same code: `body` is the validated body,
   * `headers` the request's. Refusals before the upstream call are thrown (the caller answers
   * them in OpenAI's error shape); everything after is answered here.
   */
  async function serveChat(res: ServerResponse, auth: Auth, body: ChatBody, headers: IncomingHttpHeaders) {
    const signal = clientSignal(res);
    const prepared = await prepareChat(deps, {
      auth,
      body,
      providerName: headerOf(headers, 'x-llmguard-provider') ?? 'default',
      endpoint: headerOf(headers, 'x-llmguard-endpoint') ?? null,
      extraFallbacks: (headerOf(headers, 'x-llmguard-fallback-models') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .slice(0, 5),
    });
    if (body.stream === true) return stream(body, res, prepared, signal);
    let result: Awaited<ReturnType<typeof completeChat>>;
    try {
      result = await completeChat(prepared, signal);
    } catch (err) {
      sendFailure(res, failed(prepared, err, (err as { attempts?: string[] }).attempts ?? []));
      return;
    }
    const { completion } = result;
    const text = completion.choices?.[0]?.message?.content ?? null;
    const assessment = await record(prepared, text, {
      servedModel: result.servedModel,
      attempts: result.attempts,
      responseText: text,
      promptTokens: completion.usage?.prompt_tokens ?? null,
      completionTokens: completion.usage?.completion_tokens ?? null,
      status: 'success',
      error: null,
    });
    llmguardHeaders(res, prepared, assessment.risk.score, assessment.decision);
    sendJson(res, 200, completion);
  }

  return {
    serveChat,

    chat(req: Request, res: Response) {
      return serveChat(res, req.apiKey!, req.body as ChatBody, req.headers);
    },

    /** The models the project may use: its allowed list, else what the provider offers. */
    async models(req: Request, res: Response) {
      const { project } = req.apiKey!;
      const allowed = (project.modelSettings as { allowedModels?: string[] | null }).allowedModels;
      if (allowed?.length) {
        res.json({
          object: 'list',
          data: allowed.map((id) => ({ id, object: 'model', created: 0, owned_by: 'llmguard' })),
        });
        return;
      }
      const name = header(req, 'x-llmguard-provider') ?? 'default';
      const upstream = await ctx.gateway.upstreams.resolve(project.projectId, name);
      if (!upstream) {
        throw new GatewayRefusal(
          400,
          'invalid_request_error',
          'provider_not_configured',
          `This project has no provider named "${name}"`,
        );
      }
      const data: Model[] = [];
      try {
        for await (const model of upstream.client.models.list({ signal: clientSignal(res) } as never)) data.push(model);
      } catch (err) {
        const failure = toGatewayFailure(err, [upstream.provider.apiKey]);
        if (res.destroyed) return;
        for (const [n, v] of Object.entries(failure.headers)) res.setHeader(n, v);
        res.status(failure.status).json(failure.body);
        return;
      }
      res.json({ object: 'list', data });
    },

    /** Passed through after the same refusals as a chat call (disabled endpoint, end-user limit, quota). */
    async embeddings(req: Request, res: Response) {
      const { project, key } = req.apiKey!;
      const body = req.body as { model: string; user?: string };
      await admitCall(deps, project, {
        model: body.model,
        endpoint: header(req, 'x-llmguard-endpoint') ?? null,
        userId: body.user ?? null,
      });
      const name = header(req, 'x-llmguard-provider') ?? 'default';
      const upstream = await ctx.gateway.upstreams.resolve(project.projectId, name);
      if (!upstream) {
        throw new GatewayRefusal(
          400,
          'invalid_request_error',
          'provider_not_configured',
          `This project has no provider named "${name}"`,
        );
      }
      ctx.gateway.auditUse(upstream.provider, key.apiKeyId);
      try {
        res.json(await upstream.client.embeddings.create(req.body, { signal: clientSignal(res) }));
      } catch (err) {
        const failure = toGatewayFailure(err, [upstream.provider.apiKey]);
        if (res.destroyed) return;
        for (const [n, v] of Object.entries(failure.headers)) res.setHeader(n, v);
        res.status(failure.status).json(failure.body);
      }
    },
  };
}
