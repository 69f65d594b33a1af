import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

/** A request as a fake received it: raw body bytes and headers. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/** Starts a node:http server on 127.0.0.1, port 0; closed when the test finishes. */
export async function listen(handler: (req: Received, res: ServerResponse) => void | Promise<void>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      void Promise.resolve(handler(r, res)).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers }).end(text);
}

/** Reads a JSON or form body as the real services do (Slack and Telegram take both). */
export function params(r: Received): Record<string, unknown> {
  const type = String(r.headers['content-type'] ?? '');
  if (type.includes('application/json')) {
    try {
      return JSON.parse(r.body) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(r.body)) {
    try {
      out[k] = k === 'blocks' || k === 'reply_markup' ? JSON.parse(v) : v;
    } catch {
      out[k] = v;
    }
  }
  return out;
}
