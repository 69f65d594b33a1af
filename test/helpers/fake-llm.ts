import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

/** One scripted answer of the fake Moonshot/OpenAI-compatible server (PROTOCOLS §3, §7). */
export type FakeReply =
  | { kind: 'tool_calls'; calls: readonly { name: string; args: unknown }[]; usage?: Usage }
  | { kind: 'text'; content: string }
  | { kind: 'length' }
  | { kind: 'error'; status: number; type: string; message?: string; headers?: Readonly<Record<string, string>> }
  | { kind: 'hang' };

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeLlm {
  baseUrl: string;
  apiKey: string;
  model: string;
  requests: RecordedRequest[];
  /** Requests the fake refused (wrong key, model, or a sampling parameter Kimi K2.5 rejects). */
  refused: string[];
  script(...replies: FakeReply[]): void;
  close(): Promise<void>;
}

const FORBIDDEN = ['temperature', 'top_p', 'presence_penalty', 'frequency_penalty', 'n', 'max_tokens'];
let seq = 0;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function completion(model: string, message: Record<string, unknown>, finish: string, usage: Usage) {
  return {
    id: `cmpl-${(++seq).toString(16).padStart(32, '0')}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, finish_reason: finish, logprobs: null, message: { role: 'assistant', refusal: null, ...message } }],
    usage,
  };
}

/**
 * A real HTTP server on 127.0.0.1 speaking POST /v1/chat/completions and GET /v1/models the way Moonshot does: Bearer
 * auth, the `{error:{type,message}}` envelope, tool-call ids like `functions.<name>:<n>`, arguments as JSON strings.
 * Replies come from the script in order; with the script empty it answers 500 (a test that asks too often fails).
 */
export async function startFakeLlm(options: { apiKey?: string; model?: string } = {}): Promise<FakeLlm> {
  const apiKey = options.apiKey ?? 'sk-test-fake-llm';
  const model = options.model ?? 'kimi-k2.5';
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const refused: string[] = [];
  let calls = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${apiKey}`) {
        refused.push('bad authorization');
        return send(res, 401, { error: { type: 'invalid_authentication_error', message: 'Invalid Authentication' } });
      }
      if (req.method === 'GET' && req.url === '/v1/models') {
        return send(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'moonshot' }] });
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        return send(res, 404, { error: { type: 'resource_not_found_error', message: `no route ${req.method} ${req.url}` } });
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return send(res, 400, { error: { type: 'invalid_request_error', message: 'body is not JSON' } });
      }
      requests.push({ path: req.url, headers: req.headers, body });
      if (body.model !== model) {
        refused.push(`unknown model ${String(body.model)}`);
        return send(res, 404, { error: { type: 'resource_not_found_error', message: `Not found the model ${String(body.model)}` } });
      }
      const sampling = FORBIDDEN.filter((k) => k in body);
      if (sampling.length > 0) {
        refused.push(`sent ${sampling.join(', ')}`);
        return send(res, 400, { error: { type: 'invalid_request_error', message: `invalid ${sampling[0]}: this model's value cannot be modified` } });
      }
      const reply = queue.shift();
      if (!reply) return send(res, 500, { error: { type: 'server_error', message: 'fake LLM: script exhausted' } });
      const usage: Usage = { prompt_tokens: 800, completion_tokens: 100, total_tokens: 900 };
      switch (reply.kind) {
        case 'hang':
          return; // never answer; closed by close()
        case 'error':
          return send(res, reply.status, { error: { type: reply.type, message: reply.message ?? reply.type } }, reply.headers);
        case 'text':
          return send(res, 200, completion(model, { content: reply.content }, 'stop', usage));
        case 'length':
          return send(res, 200, completion(model, { content: '{"summary": "the CPU is' }, 'length', usage));
        case 'tool_calls':
          return send(
            res,
            200,
            completion(
              model,
              {
                content: '',
                tool_calls: reply.calls.map((c) => ({
                  id: `functions.${c.name}:${calls++}`,
                  type: 'function',
                  function: { name: c.name, arguments: typeof c.args === 'string' ? c.args : JSON.stringify(c.args) },
                })),
              },
              'tool_calls',
              reply.usage ?? usage,
            ),
          );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
  onTestFinished(close);
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    apiKey,
    model,
    requests,
    refused,
    script: (...replies) => queue.push(...replies),
    close,
  };
}

/** A valid submit_analysis call. */
export function submit(overrides: Record<string, unknown> = {}): { name: string; args: unknown } {
  return {
    name: 'submit_analysis',
    args: {
      summary: 'High CPU from a runaway process',
      likelyCause: 'A busy loop',
      evidence: ['top process at 99% CPU'],
      confidence: 'high',
      actions: [{ type: 'notify_human', params: { message: 'CPU is high' }, reason: 'tell the operator' }],
      ...overrides,
    },
  };
}
