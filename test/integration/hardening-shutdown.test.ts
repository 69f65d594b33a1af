import { connect, type Socket } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawnDaemon } from '../helpers/daemon-process.js';
import { tempDir } from '../helpers/temp-store.js';

function writeConfig(dir: string, server: string): string {
  const path = join(dir, 'opsagent.yaml');
  writeFileSync(
    path,
    `netdata: { url: "" }\ndatabase: { url: "file:${join(dir, 'opsagent.db')}" }\n` +
      `server: { host: "127.0.0.1", port: 0${server} }\ndiscord: { enabled: false }\nanalysis: { enabled: false }\n`,
  );
  return path;
}

interface SlowClient {
  socket: Socket;
  /** What the server sent back (empty while it answered nothing). */
  received(): string;
  closed: Promise<void>;
  stop(): void;
}

/** A real socket that sends the request line and headers, then one byte of the body per interval (never all of it). */
function trickle(url: string, options: { everyMs: number; headersToo?: boolean }): SlowClient {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  socket.on('error', () => undefined); // reset by the server: that is the point
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const head = 'POST /api/v1/webhooks/netdata HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\n';
  const body = 'name=slow_client&chart=disk.%2F&status=CRITICAL&info=' + 'x'.repeat(10_000);
  const stream = options.headersToo ? head + body : body;
  let i = 0;
  if (!options.headersToo) socket.write(head);
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(stream[i++ % stream.length]!);
  }, options.everyMs);
  const stop = () => {
    clearInterval(timer);
    socket.destroy();
  };
  void closed.then(() => clearInterval(timer));
  onTestFinished(stop);
  return { socket, received: () => received, closed, stop };
}

let uniqueId = 0;

async function ingest(url: string, name: string): Promise<number | 'failed'> {
  const id = String(++uniqueId); // each its own event key: a repeated key counts once
  try {
    const res = await fetch(`${url}/api/v1/webhooks/netdata`, {
      method: 'POST',
      body: new URLSearchParams({ name, chart: 'disk./', status: 'CRITICAL', unique_id: id, alarm_id: id }),
      signal: AbortSignal.timeout(8_000),
    });
    await res.text();
    return res.status;
  } catch {
    return 'failed'; // the connection was closed by the shutdown: not acknowledged
  }
}

describe('the daemon under slow clients', () => {
  it('exits 0 on SIGTERM well within 10 s while a client trickles its body, with every acknowledged ingest stored and the database closed cleanly', async () => {
    const dir = tempDir('opsagent-shutdown-');
    const dbPath = join(dir, 'opsagent.db');
    const daemon = spawnDaemon(writeConfig(dir, ''), { env: { OPSAGENT_HOME: dir } });
    const url = await daemon.started();

    const slow = trickle(url, { everyMs: 1_000 });
    expect(await ingest(url, 'before_sigterm')).toBe(202);
    await new Promise((r) => setTimeout(r, 2_500)); // the trickle is well under way, its request still open

    // ingests racing the shutdown: each is either acknowledged (then stored) or refused, never acknowledged and lost
    const racing = Array.from({ length: 20 }, (_, i) => ingest(url, `racing_${i}`));
    await new Promise((r) => setTimeout(r, 5));
    const { code, ms } = await daemon.terminate();
    const results = await Promise.all(racing);

    expect({ code, output: daemon.output() }).toMatchObject({ code: 0 });
    expect(ms).toBeLessThan(6_000);
    expect(daemon.output()).toContain('opsagent stopped');
    expect(daemon.output()).not.toContain('shutdown took longer');
    await slow.closed;
    expect(slow.received()).not.toMatch(/^HTTP\/1\.1 2/);

    // the daemon closed the database: its WAL was checkpointed into the file and removed (checked before we open it)
    expect(existsSync(`${dbPath}-wal`)).toBe(false);
    const db = new BetterSqlite3(dbPath, { readonly: true });
    onTestFinished(() => {
      db.close();
    });
    expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    const titles = new Set((db.prepare('SELECT title FROM issues').all() as { title: string }[]).map((r) => r.title));
    const acknowledged = ['before_sigterm', ...results.flatMap((r, i) => (r === 202 ? [`racing_${i}`] : []))];
    for (const t of acknowledged) expect(titles, `acknowledged ${t} must be stored`).toContain(t);
    expect(titles).not.toContain('slow_client');
    expect(results.filter((r) => r !== 202 && r !== 503 && r !== 'failed')).toEqual([]);
  });

  it('answers 408 and closes a connection that trickles its body or its headers past server.requestTimeoutMs', async () => {
    const dir = tempDir('opsagent-timeout-');
    const daemon = spawnDaemon(writeConfig(dir, ', requestTimeoutMs: 2000'), { env: { OPSAGENT_HOME: dir } });
    const url = await daemon.started();

    const t0 = Date.now();
    const body = trickle(url, { everyMs: 200 });
    const headers = trickle(url, { everyMs: 200, headersToo: true });
    await Promise.all([body.closed, headers.closed]);
    const ms = Date.now() - t0;

    expect(body.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(headers.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeGreaterThanOrEqual(1_900);
    expect(ms).toBeLessThan(5_000); // the limit plus Node's 1 s check interval, not the 30 s default interval
    expect((await fetch(`${url}/healthz`)).status).toBe(200); // the server itself is unaffected
    expect((await daemon.terminate()).code).toBe(0);
  });
});
