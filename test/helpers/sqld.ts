import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { firstExecutable } from './binaries.js';

// No vitest here: bench/ starts sqld through this file too.

/** sqld (libsql-server 0.24.32), as scripts/install-test-deps.sh installs it; undefined when missing. */
export function sqldBinary(): string | undefined {
  return firstExecutable([process.env.OPSAGENT_SQLD_BIN, join(PACKAGE_ROOT, '.cache', 'sqld', 'sqld')]);
}

export const SQLD_MISSING = 'sqld is not installed: run `bash scripts/install-test-deps.sh` (or set OPSAGENT_SQLD_BIN)';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** An Ed25519 key pair and an EdDSA JWT with read-write access: the token format Turso Cloud issues. */
function jwtKeyAndToken(): { publicKey: string; token: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const message = `${b64({ alg: 'EdDSA', typ: 'JWT' })}.${b64({ iat: Math.floor(Date.now() / 1000), a: 'rw' })}`;
  const signature = sign(null, Buffer.from(message), privateKey).toString('base64url');
  return { publicKey: String((publicKey.export({ format: 'jwk' }) as { x: string }).x), token: `${message}.${signature}` };
}

export interface SqldServer {
  port: number;
  /** `libsql://127.0.0.1:PORT?tls=0`: what a user puts in database.url for a plain (no TLS) server. */
  url: string;
  /** `http://127.0.0.1:PORT`, for probes. */
  httpUrl: string;
  /** A valid token for this server. */
  token: string;
  dataDir: string;
  /** Kills the server (SIGKILL: a server that goes away), keeping its data. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data (after kill). */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

async function waitHealthy(httpUrl: string, child: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sqld exited with ${child.exitCode}: ${log().slice(-500)}`);
    try {
      const res = await fetch(`${httpUrl}/health`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sqld did not answer /health within ${timeoutMs} ms: ${log().slice(-500)}`);
}

/**
 * Starts a real sqld on 127.0.0.1 (a free port, a fresh data dir, JWT auth with a fresh Ed25519 key) and waits until it
 * answers /health (bounded). Throws when the binary is missing: callers check sqldBinary() first.
 */
export async function startSqld(options: { timeoutMs?: number } = {}): Promise<SqldServer> {
  const bin = sqldBinary();
  if (!bin) throw new Error(SQLD_MISSING);
  const dataDir = mkdtempSync(join(tmpdir(), 'opsagent-sqld-'));
  const { publicKey, token } = jwtKeyAndToken();
  let port = 0;
  let child: ChildProcess | undefined;
  let output = '';
  const launch = async (): Promise<void> => {
    output = '';
    const proc = spawn(bin, ['--db-path', join(dataDir, 'db'), '--http-listen-addr', `127.0.0.1:${port}`, '--no-welcome'], {
      env: { ...process.env, SQLD_AUTH_JWT_KEY: publicKey, RUST_LOG: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
    proc.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4_000)));
    child = proc;
    await waitHealthy(`http://127.0.0.1:${port}`, proc, () => output, options.timeoutMs ?? 15_000);
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGKILL');
    await exited;
  };
  // Another process may take the free port between the probe and sqld's bind: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      await kill();
      if (attempt >= 3) {
        rmSync(dataDir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  return {
    port,
    url: `libsql://127.0.0.1:${port}?tls=0`,
    httpUrl: `http://127.0.0.1:${port}`,
    token,
    dataDir,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CountingProxy {
  /** `libsql://127.0.0.1:PORT?tls=0` through the proxy. */
  url: string;
  /** HTTP requests passed to sqld so far: each one is a network round trip of the client. */
  requests: number;
  /** The request paths, in order (e.g. /v2/pipeline). */
  paths: string[];
  close(): Promise<void>;
}

/** An HTTP proxy in front of sqld that counts the requests it passes on: how round trips are counted from outside. */
export async function startCountingProxy(targetPort: number): Promise<CountingProxy> {
  const counter: CountingProxy = { url: '', requests: 0, paths: [], close: async () => undefined };
  const server = createHttpServer((req, res) => {
    counter.requests++;
    counter.paths.push(req.url ?? '');
    const upstream = httpRequest(
      { host: '127.0.0.1', port: targetPort, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  counter.url = `libsql://127.0.0.1:${port}?tls=0`;
  counter.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return counter;
}
