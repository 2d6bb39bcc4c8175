/**
 * Tests talk to this machine only: a TCP connection to anything but a loopback address (or a
 * Unix socket) fails at once with ENETUNREACH-like error, before any DNS lookup. Every client
 * in the process (fetch/undici, the OpenAI and Stripe SDKs, pg, ioredis) opens its sockets
 * through net.Socket#connect, so one guard covers them; child processes are not affected.
 */
import net from 'node:net';

const isLoopback = (host: string) =>
  /^(localhost|::1|\[::1\])$/i.test(host) || /^(::ffff:)?127\.\d+\.\d+\.\d+$/i.test(host);

/** The host a Socket#connect call is for; undefined for a Unix socket path. */
function targetHost(args: unknown[]): string | undefined {
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first !== null && typeof first === 'object') {
    const o = first as { path?: unknown; host?: unknown };
    if (typeof o.path === 'string') return undefined;
    return typeof o.host === 'string' ? o.host : 'localhost';
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // a Unix socket path
  return typeof args[1] === 'string' ? args[1] : 'localhost';
}

export class OutboundNetworkBlocked extends Error {
  readonly code = 'ENETUNREACH';
  constructor(host: string) {
    super(`outbound network is blocked in tests: ${host} is not a loopback address`);
    this.name = 'OutboundNetworkBlocked';
  }
}

const original = net.Socket.prototype.connect;
const guarded = function (this: net.Socket, ...args: unknown[]) {
  const host = targetHost(args);
  if (host !== undefined && !isLoopback(host)) {
    process.nextTick(() => this.destroy(new OutboundNetworkBlocked(host)));
    return this;
  }
  return (original as (...a: unknown[]) => net.Socket).apply(this, args);
};
net.Socket.prototype.connect = guarded as typeof net.Socket.prototype.connect;
