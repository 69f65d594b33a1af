import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../../logger.js';
import type { AccessPolicy } from '../api-access.js';

export interface McpRouteOptions {
  access: AccessPolicy;
  /** Builds one session's MCP server (main.ts passes an import() of src/mcp/, so the SDK loads on first use). */
  newServer: () => Promise<McpServer>;
  logger: Logger;
  /** Sessions alive at once; an initialize beyond it first ends idle ones, then is answered 503. */
  maxSessions?: number;
  /** A session unused this long is ended (its client re-initialises on the 404 it then gets). */
  idleMs?: number;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastUsedAt: number;
}

export const MCP_PATH = '/mcp';

function jsonRpcError(reply: FastifyReply, status: number, code: number, message: string): FastifyReply {
  return reply.code(status).send({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/**
 * MCP's Streamable HTTP transport at /mcp (spec 2025-11-25 basic/transports). With sessions, not stateless: the
 * author of a client's notes and proposals is the name it gave in `initialize`, which a stateless server would not
 * know on the later requests. Sessions live in memory (a restart ends them; clients re-initialise on 404), are capped
 * and end when idle. Answers are JSON, not SSE streams, and GET (a stream for server-initiated messages, which this
 * server never sends) is 405, so no request stays open and the daemon stops promptly.
 * Every method needs the steering credential (server.apiToken, else the local token), loopback or not, and a browser
 * page of another origin is refused (guardRoutes checks the Host name; this checks Origin on every method).
 */
export const mcpRoutes: FastifyPluginAsync<McpRouteOptions> = async (app, opts) => {
  const maxSessions = opts.maxSessions ?? 32;
  const idleMs = opts.idleMs ?? 30 * 60_000;
  const log = opts.logger.child({ component: 'mcp' });
  const sessions = new Map<string, Session>();
  const sdk = () =>
    Promise.all([import('@modelcontextprotocol/sdk/server/streamableHttp.js'), import('@modelcontextprotocol/sdk/types.js')]).then(([http, types]) => ({
      StreamableHTTPServerTransport: http.StreamableHTTPServerTransport,
      isInitializeRequest: types.isInitializeRequest,
    }));

  const end = async (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    await s.server.close().catch((err: unknown) => log.warn({ err: String(err) }, 'closing an MCP session failed'));
  };
  const endIdle = async (now: number) => {
    for (const [id, s] of sessions) if (now - s.lastUsedAt > idleMs) await end(id);
  };
  const sweep = setInterval(() => void endIdle(Date.now()), Math.min(idleMs, 60_000));
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    await Promise.all([...sessions.keys()].map(end));
  });

  const guard = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const refusal = opts.access.crossOriginRefusal(request) ?? opts.access.steeringRefusal(request, MCP_PATH);
    if (refusal) void reply.code(refusal.status).send({ error: refusal.error, message: refusal.message });
    else done();
  };

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method === 'GET') {
      return jsonRpcError(reply.header('allow', 'POST, DELETE'), 405, -32000, 'Method Not Allowed: this server sends no server-initiated messages; POST requests to /mcp');
    }
    const header = request.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    let session = sessionId === undefined ? undefined : sessions.get(sessionId);
    if (sessionId !== undefined && !session) return jsonRpcError(reply, 404, -32001, 'Session not found: initialize a new session');
    if (!session) {
      const { StreamableHTTPServerTransport, isInitializeRequest } = await sdk();
      if (request.method !== 'POST' || !isInitializeRequest(request.body)) {
        return jsonRpcError(reply, 400, -32000, 'Bad Request: no mcp-session-id; the first request of a session is initialize');
      }
      if (sessions.size >= maxSessions) await endIdle(Date.now() + idleMs - 60_000); // those unused for a minute
      if (sessions.size >= maxSessions) return jsonRpcError(reply.header('retry-after', '60'), 503, -32000, `too many MCP sessions (${maxSessions}); try again later`);
      const server = await opts.newServer();
      const fresh: Session = { server, lastUsedAt: Date.now(), transport: undefined as unknown as StreamableHTTPServerTransport };
      fresh.transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (id) => {
          sessions.set(id, fresh);
          log.info({ sessionId: id, client: server.server.getClientVersion()?.name?.slice(0, 64) }, 'MCP session started');
        },
        onsessionclosed: (id) => {
          sessions.delete(id);
        },
      });
      await server.connect(fresh.transport);
      session = fresh;
    }
    session.lastUsedAt = Date.now();
    reply.hijack(); // the transport writes the answer itself (JSON, or 202 for a notification)
    try {
      await session.transport.handleRequest(request.raw, reply.raw, request.body);
    } catch (err) {
      log.error({ err: String(err) }, 'MCP request failed');
      if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' });
      reply.raw.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }));
    }
    if (request.method === 'DELETE' && sessionId !== undefined) await end(sessionId);
  };

  app.route({ method: ['GET', 'POST', 'DELETE'], url: MCP_PATH, onRequest: guard, handler: handle });
};
