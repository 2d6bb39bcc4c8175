/**
 * A local HTTP server that answers like the OpenAI API (`POST /v1/chat/completions`, plain and
 * streamed as server-sent events, `POST /v1/embeddings`, `GET /v1/models`), so the real
 * `openai` SDK can be pointed at it. Each test sets what the next calls answer (valid JSON, any
 * content, an HTTP error, a delay beyond the client's timeout; a one-off sequence; a reply per
 * model) and reads the recorded requests to check what would have left the process.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';

export interface RecordedChatRequest {
  path: string;
  authorization: string | null;
  /** the names of the request's headers, lower-cased */
  headerNames: string[];
  body: {
    model: string;
    messages: { role: string; content: string }[];
    response_format?: { type: string };
    [key: string]: unknown;
  };
}

export type FakeReply =
  | {
      kind: 'content';
      content: string;
      delayMs?: number;
      /** streamed answers: pause between chunks (one chunk per word) */
      chunkDelayMs?: number;
    }
  | { kind: 'error'; status: number; message?: string };

export interface FakeOpenAI {
  url: string;
  requests: RecordedChatRequest[];
  /** What every following call answers (until changed). */
  reply(next: FakeReply): void;
  /** What the next calls answer, one each, before `reply`'s default applies again. */
  replySequence(...replies: FakeReply[]): void;
  /** What every call for `model` answers (wins over the others). */
  replyFor(model: string, reply: FakeReply): void;
  /** Streamed events written so far (over all streams). */
  chunksWritten: number;
  /** Forgets replySequence and replyFor replies. */
  resetReplies(): void;
  /** Requests whose client went away before the answer was complete. */
  aborted: number;
  /** Every authorization header and body seen, raw (to look for leaks). */
  raw: string[];
  /** All message text the recorded requests carried (system and user). */
  sentText(): string;
  /** An SDK client on this server. */
  client(options?: { timeout?: number; maxRetries?: number }): OpenAI;
  close(): Promise<void>;
}

export const VALID_RCA = {
  severity: 'high',
  rootCause: 'The gpt-4o deployment slowed down for long prompts.',
  recommendedFix: 'Switch the chat endpoint to gpt-4o-mini and cap max tokens.',
  suggestedRemediation: { action: 'switch_model', params: { from: 'gpt-4o', to: 'gpt-4o-mini' } },
};

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: RecordedChatRequest[] = [];
  let current: FakeReply = { kind: 'content', content: JSON.stringify(VALID_RCA) };
  const sequence: FakeReply[] = [];
  const perModel = new Map<string, FakeReply>();
  let seq = 0;
  const timers = new Set<NodeJS.Timeout>();
  const state = { aborted: 0, chunksWritten: 0 };
  const raw: string[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    res.once('close', () => {
      if (!res.writableFinished) state.aborted++;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake.openai');
      const text = Buffer.concat(chunks).toString('utf8');
      raw.push(`${req.headers.authorization ?? ''} ${req.headers['api-key'] ?? ''} ${text}`);
      const send = (status: number, body: unknown) => {
        if (res.destroyed) return;
        res.writeHead(status, { 'Content-Type': 'application/json', 'x-request-id': `req_fake_${seq}` });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        requests.push({
          path: url.pathname,
          authorization: req.headers.authorization ?? null,
          headerNames: Object.keys(req.headers),
          body: {} as never,
        });
        send(200, {
          object: 'list',
          data: ['gpt-4o', 'gpt-4o-mini'].map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'fake' })),
        });
        return;
      }
      if (req.method === 'POST' && url.pathname === '/v1/embeddings') {
        const body = JSON.parse(text) as RecordedChatRequest['body'] & { input: string | string[] };
        requests.push({
          path: url.pathname,
          authorization: req.headers.authorization ?? null,
          headerNames: Object.keys(req.headers),
          body,
        });
        const inputs = Array.isArray(body.input) ? body.input : [body.input];
        const vector = new Float32Array([0.5, -0.25, 0.125]);
        send(200, {
          object: 'list',
          model: body.model,
          data: inputs.map((_, index) => ({
            object: 'embedding',
            index,
            embedding:
              body.encoding_format === 'base64' ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector),
          })),
          usage: { prompt_tokens: 8, total_tokens: 8 },
        });
        return;
      }
      if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
        send(404, { error: { message: `Unknown route ${req.method} ${url.pathname}`, type: 'invalid_request_error' } });
        return;
      }
      const body = JSON.parse(text) as RecordedChatRequest['body'];
      requests.push({
        path: url.pathname,
        authorization: req.headers.authorization ?? null,
        headerNames: Object.keys(req.headers),
        body,
      });
      const reply = perModel.get(body.model) ?? sequence.shift() ?? current;
      if (reply.kind === 'error') {
        send(reply.status, {
          error: { message: reply.message ?? 'The server had an error', type: 'server_error', param: null, code: null },
        });
        return;
      }
      const id = `chatcmpl-fake${++seq}`;
      if (body.stream === true) {
        const created = Math.floor(Date.now() / 1000);
        const base = { id, object: 'chat.completion.chunk', created, model: body.model, system_fingerprint: 'fp_fake' };
        const withUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
        const words = reply.content.split(/(?<= )/);
        const events: unknown[] = [
          { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
          ...words.map((w) => ({ ...base, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })),
          { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
        ].map((e) => (withUsage ? { ...e, usage: null } : e));
        if (withUsage) {
          events.push({
            ...base,
            choices: [],
            usage: { prompt_tokens: 100, completion_tokens: words.length, total_tokens: 100 + words.length },
          });
        }
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'x-request-id': `req_fake_${seq}` });
        let i = 0;
        const next = () => {
          if (res.destroyed) return;
          if (i === events.length) {
            res.end('data: [DONE]\n\n');
            return;
          }
          res.write(`data: ${JSON.stringify(events[i++])}\n\n`);
          state.chunksWritten++;
          if (!reply.chunkDelayMs) return next();
          const timer = setTimeout(() => {
            timers.delete(timer);
            next();
          }, reply.chunkDelayMs);
          timers.add(timer);
        };
        next();
        return;
      }
      const completion = {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        system_fingerprint: 'fp_fake',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: reply.content, refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
      };
      if (!reply.delayMs) return send(200, completion);
      const timer = setTimeout(() => {
        timers.delete(timer);
        send(200, completion);
      }, reply.delayMs);
      timers.add(timer);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    reply: (next) => {
      current = next;
    },
    replySequence: (...replies) => {
      sequence.push(...replies);
    },
    replyFor: (model, reply) => {
      perModel.set(model, reply);
    },
    resetReplies: () => {
      sequence.length = 0;
      perModel.clear();
    },
    get aborted() {
      return state.aborted;
    },
    get chunksWritten() {
      return state.chunksWritten;
    },
    raw,
    sentText: () => requests.flatMap((r) => (r.body.messages ?? []).map((m) => m.content)).join('\n'),
    client: (options = {}) =>
      new OpenAI({
        apiKey: 'test',
        baseURL: `${url}/v1`,
        timeout: options.timeout ?? 2_000,
        maxRetries: options.maxRetries ?? 0,
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
