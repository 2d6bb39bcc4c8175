/**
 * A fake OpenAI upstream for bench:gateway, in its own process: `/d<ms>/v1/chat/completions`
 * answers after <ms> milliseconds (0 = at once), as JSON or, with `stream: true`, as five
 * server-sent chunks plus a usage chunk when asked. Nothing is recorded: it must not be the
 * bottleneck.
 */
import http from 'node:http';

const port = Number(process.env.PORT ?? 8790);
const COMPLETION_USAGE = { prompt_tokens: 42, completion_tokens: 5, total_tokens: 47 };
const WORDS = ['The ', 'answer ', 'is ', 'forty-', 'two.'];

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = /^\/d(\d+)\/v1\/chat\/completions$/.exec(req.url ?? '');
      if (req.url === '/healthz') {
        res.end('ok');
        return;
      }
      if (!m || req.method !== 'POST') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        model: string;
        stream?: boolean;
        stream_options?: { include_usage?: boolean };
      };
      const answer = () => {
        const id = 'chatcmpl-bench';
        const created = Math.floor(Date.now() / 1000);
        if (!body.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id,
              object: 'chat.completion',
              created,
              model: body.model,
              choices: [{ index: 0, message: { role: 'assistant', content: WORDS.join('') }, finish_reason: 'stop' }],
              usage: COMPLETION_USAGE,
            }),
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const base = { id, object: 'chat.completion.chunk', created, model: body.model };
        for (const w of WORDS) {
          res.write(
            `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })}\n\n`,
          );
        }
        res.write(
          `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
        );
        if (body.stream_options?.include_usage) {
          res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: COMPLETION_USAGE })}\n\n`);
        }
        res.end('data: [DONE]\n\n');
      };
      const delay = Number(m[1]);
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  })
  .listen(port, '127.0.0.1');
