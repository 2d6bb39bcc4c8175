/**
 * A local HTTP server that answers like the OpenAI Chat Completions API
 * (`POST /v1/chat/completions`), so the real `openai` SDK can be pointed at it. Each test sets
 * what the next calls answer (valid JSON, any content, an HTTP error, a delay beyond the
 * client's timeout) and reads the recorded requests to check what would have left the process.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';

export interface RecordedChatRequest {
  path: string;
  authorization: string | null;
  body: {
    model: string;
    messages: { role: string; content: string }[];
    response_format?: { type: string };
    [key: string]: unknown;
  };
}

export type FakeReply =
  { kind: 'content'; content: string; delayMs?: number } | { kind: 'error'; status: number; message?: string };

export interface FakeOpenAI {
  url: string;
  requests: RecordedChatRequest[];
  /** What every following call answers (until changed). */
  reply(next: FakeReply): void;
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
  let seq = 0;
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake.openai');
      const send = (status: number, body: unknown) => {
        if (res.destroyed) return;
        res.writeHead(status, { 'Content-Type': 'application/json', 'x-request-id': `req_fake_${seq}` });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
        send(404, { error: { message: `Unknown route ${req.method} ${url.pathname}`, type: 'invalid_request_error' } });
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedChatRequest['body'];
      requests.push({ path: url.pathname, authorization: req.headers.authorization ?? null, body });
      const reply = current;
      if (reply.kind === 'error') {
        send(reply.status, {
          error: { message: reply.message ?? 'The server had an error', type: 'server_error', param: null, code: null },
        });
        return;
      }
      const id = `chatcmpl-fake${++seq}`;
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
    sentText: () => requests.flatMap((r) => r.body.messages.map((m) => m.content)).join('\n'),
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
