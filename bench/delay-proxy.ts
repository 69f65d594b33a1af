import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that holds every chunk `delayMs` before passing it on, in each direction: a WAN between the
 * agent and its database (25 ms each way ≈ a 50 ms round trip, a Turso region a continent away). Order is kept (one
 * fixed delay per direction, timers fire in order); bandwidth is not limited. It counts the connections it carried.
 */
export interface DelayProxy {
  port: number;
  connections: number;
  close(): Promise<void>;
}

function delayed(from: Socket, to: Socket, delayMs: number): void {
  let ended = false;
  from.on('data', (chunk: Buffer) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on('end', () => {
    if (ended) return;
    ended = true;
    setTimeout(() => to.end(), delayMs);
  });
  from.on('error', () => to.destroy());
}

export async function startDelayProxy(targetPort: number, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const proxy: DelayProxy = { port: 0, connections: 0, close: async () => undefined };
  const server: Server = createServer((client) => {
    proxy.connections++;
    client.setNoDelay(true);
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    delayed(client, upstream, delayMs);
    delayed(upstream, client, delayMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  proxy.port = typeof address === 'object' && address ? address.port : 0;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
