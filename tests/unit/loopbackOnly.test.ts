import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { OutboundNetworkBlocked } from '../helpers/loopbackOnly.js';

/** Opens a connection and reports how it ended: 'connected' or the error's name and message. */
async function attempt(connect: () => net.Socket): Promise<string> {
  const socket = connect();
  try {
    const [outcome] = await Promise.race([once(socket, 'connect').then(() => ['connected']), once(socket, 'error')]);
    return outcome === 'connected' ? 'connected' : `${(outcome as Error).name}: ${(outcome as Error).message}`;
  } finally {
    socket.destroy();
  }
}

describe('outbound network in tests', () => {
  it('should refuse a connection to a public address or host name before any lookup', async () => {
    expect(await attempt(() => net.connect(443, '203.0.113.7'))).toMatch(/^OutboundNetworkBlocked/);
    expect(await attempt(() => net.connect({ host: 'api.openai.com', port: 443 }))).toMatch(/api\.openai\.com/);
    await expect(fetch('https://api.stripe.com/v1/charges')).rejects.toMatchObject({
      cause: expect.any(OutboundNetworkBlocked),
    });
  });

  it('should let loopback connections through', async () => {
    const server = net.createServer((s) => s.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    try {
      expect(await attempt(() => net.connect(port, '127.0.0.1'))).toBe('connected');
      expect(await attempt(() => net.connect({ port, host: 'localhost', family: 4 }))).toBe('connected');
    } finally {
      server.close();
    }
  });
});
