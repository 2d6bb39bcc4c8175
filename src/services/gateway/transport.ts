/**
 * The transport under the official `openai` SDK's upstream calls: its documented `fetch`
 * option, given a fetch made of node:http(s) with keep-alive agents instead of the global
 * WHATWG fetch. The SDK still builds, retries, times out, parses and streams every call; only
 * the bytes travel differently. Node's global fetch spent about 1 ms of CPU per call in the
 * gateway (request and body objects, web streams for a 300-byte JSON body, a write per body
 * chunk); a node:http request costs a fraction of that.
 *
 * What the SDK relies on is kept: a rejected promise for a connection failure (an AbortError
 * when its timeout or the caller's signal fires, which it turns into a timeout or a user abort),
 * and a standard `Response` whose `body` is async-iterable (the SDK reads server-sent events
 * straight from it) and is cut when the signal fires mid-stream.
 */
import http from 'node:http';
import https from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** idle sockets kept per upstream host (default 64) */
  maxFreeSockets?: number;
}

/** A fresh abort error as fetch reports one (the SDK recognises it by its name). */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

/** Request headers from what the SDK passes (a Headers object, pairs or a record). */
function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      out[name] = value;
    });
  } else if (Array.isArray(headers)) {
    for (const [name, value] of headers) out[name!.toLowerCase()] = value!;
  } else {
    for (const [name, value] of Object.entries(headers)) {
      out[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
    }
  }
  return out;
}

/** The response headers as fetch's Headers (repeated headers joined as fetch joins them). */
function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

/**
 * A JSON answer read whole, as a `Response` whose body methods read the buffer. undici's
 * `Response` wraps every body in a web stream (on Node 20 each stream is made transferable) and
 * reads it back through that stream: about 85 µs of CPU per gateway call (profiled: constructing
 * it 51 µs, `json()` 32 µs), for a 300-byte answer. The SDK reads a JSON answer with `json()`
 * or `text()` (and cancels `body` before a retry, which it does for a null body too), so this one
 * has no `body` stream (`body` is null) and reads the bytes directly, once, as fetch does
 * (decoded as UTF-8 with a leading byte order mark dropped).
 */
function bufferedResponse(bytes: Buffer, init: ResponseInit): Response {
  const response = new Response(null, init);
  let used = false;
  const take = (): Buffer => {
    if (used) throw new TypeError('Body is unusable: Body has already been read');
    used = true;
    return bytes;
  };
  const text = (): string => {
    const decoded = take().toString('utf8');
    return decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  };
  Object.defineProperties(response, {
    bodyUsed: { get: () => used },
    text: { value: () => Promise.resolve().then(text) },
    json: { value: () => Promise.resolve().then(() => JSON.parse(text()) as unknown) },
    arrayBuffer: {
      value: () =>
        Promise.resolve().then(() => {
          const b = take();
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
        }),
    },
  });
  return response;
}

/**
 * Server-sent events as a `Response` whose `body` is the socket's own stream. The SDK reads an
 * event stream by async iteration (and cancels it through its iterator's `return()`), which a
 * node stream offers as it is; `Readable.toWeb` put a web stream between them: about 80 us of
 * CPU per streamed call (profiled: 48 us to build it, the rest reading chunks through it). Only
 * for a 2xx answer: an error's body is read with `text()`, through the standard Response.
 */
function eventStreamResponse(res: IncomingMessage, init: ResponseInit): Response {
  const response = new Response(null, init);
  Object.defineProperty(response, 'body', { value: res });
  return response;
}

/**
 * One upstream request and the caller's abort signal: the signal's listener (`handleEvent`) and
 * whether the caller has its answer. An object rather than closures made per call: `npm start`
 * runs the source through tsx, whose name-keeping helper gives every closure made at run time its
 * name with a defineProperty (see quotaService.ts PlanCounter).
 */
class AbortLink {
  /** the promise is resolved or rejected */
  private settled = false;
  response: IncomingMessage | undefined;

  constructor(
    private readonly req: ClientRequest,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (response: Response) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    signal?.addEventListener('abort', this, { once: true });
  }

  /** The caller's signal aborted: the caller gets the abort, and the request and its answer are destroyed. */
  handleEvent(): void {
    const err = abortError(this.signal!);
    this.fail(err);
    this.req.destroy(err);
    this.response?.destroy(err);
  }

  /** Resolves the caller's promise unless it is settled already. */
  succeed(response: Response): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(response);
  }

  /** Rejects the caller's promise unless it is settled already. */
  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(err);
  }

  detach(): void {
    this.signal?.removeEventListener('abort', this);
  }
}

/** A `fetch` for the SDK over node:http(s) with keep-alive agents of its own. */
export function createUpstreamFetch(options: TransportOptions = {}): Fetch & { destroy(): void } {
  const agentOptions = { keepAlive: true, maxFreeSockets: options.maxFreeSockets ?? 64, scheduling: 'lifo' as const };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);

  const upstreamFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      if (typeof input === 'object' && !(input instanceof URL)) {
        reject(new TypeError('upstream fetch takes a URL, not a Request'));
        return;
      }
      const url = typeof input === 'string' ? new URL(input) : input;
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const body = init.body;
      if (body != null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        // Multipart uploads and streamed bodies: not what the gateway sends; the standard fetch does them.
        fetch(url, init).then(resolve, reject);
        return;
      }
      const secure = url.protocol === 'https:';
      const headers = headerRecord(init.headers);
      if (body != null) headers['content-length'] = String(Buffer.byteLength(body));
      const method = init.method ?? 'GET';
      const req = (secure ? https : http).request(url, {
        method,
        headers,
        agent: secure ? httpsAgent : httpAgent,
      });
      const link = new AbortLink(req, signal, resolve, reject);
      req.once('error', (err) => {
        link.detach();
        link.fail(err);
      });
      req.once('response', (res) => {
        link.response = res;
        res.once('close', () => link.detach());
        const status = res.statusCode ?? 0;
        const answer = { status, statusText: res.statusMessage ?? '', headers: responseHeaders(res) };
        if (status < 200 || status > 599) {
          link.fail(new TypeError(`upstream answered with HTTP status ${status}`));
          res.destroy();
          return;
        }
        if (status === 204 || status === 304 || method === 'HEAD') {
          link.succeed(new Response(null, answer));
          res.resume();
          return;
        }
        if (/^text\/event-stream/i.test(res.headers['content-type'] ?? '')) {
          // Server-sent events: passed on as they come.
          link.succeed(
            status < 300
              ? eventStreamResponse(res, answer)
              : new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, answer),
          );
          return;
        }
        // A JSON answer is read whole by the SDK anyway: read here, one buffer, no web stream (bufferedResponse).
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () =>
          link.succeed(bufferedResponse(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), answer)),
        );
        res.once('error', (err) => link.fail(err));
      });
      req.end(body ?? undefined);
    });

  return Object.assign(upstreamFetch, {
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  });
}
