import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

export type OllamaReply =
  | { kind: 'tool_calls'; calls: readonly { name: string; args: Record<string, unknown> }[]; argumentsAs?: 'string' | 'object' }
  | { kind: 'text'; content: string };

export interface FakeOllama {
  baseUrl: string;
  model: string;
  requests: Record<string, unknown>[];
  script(...replies: OllamaReply[]): void;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/**
 * A real HTTP server on 127.0.0.1 answering POST /v1/chat/completions the way Ollama's OpenAI compatibility layer
 * does (openai/openai.go): any or no API key, `{"error":{"message","type":"api_error"…}}` for an unknown model
 * ("model \"x\" not found, try pulling it first", HTTP 404), tool calls with ids `call_<8 [a-z0-9]>`, an `index`, and
 * `arguments` as a JSON string (`argumentsAs: 'object'` sends the object itself, as Ollama's native /api/chat does and
 * some proxies pass on), `finish_reason` "tool_calls", `system_fingerprint` "fp_ollama", usage from prompt_eval_count.
 */
export async function startFakeOllama(options: { model?: string } = {}): Promise<FakeOllama> {
  const model = options.model ?? 'llama3.1:8b';
  const queue: OllamaReply[] = [];
  const requests: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(res, 404, { error: { message: '404 page not found', type: 'api_error', param: null, code: null } });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return send(res, 400, { error: { message: 'invalid character in request body', type: 'invalid_request_error', param: null, code: null } });
      }
      requests.push(body);
      if (body.model !== model) return send(res, 404, { error: { message: `model "${String(body.model)}" not found, try pulling it first`, type: 'api_error', param: null, code: null } });
      const reply = queue.shift() ?? { kind: 'text', content: 'I cannot help with that.' };
      const message =
        reply.kind === 'text'
          ? { role: 'assistant', content: reply.content }
          : {
              role: 'assistant',
              content: '',
              tool_calls: reply.calls.map((c, index) => ({
                id: `call_${randomBytes(6).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, 'x').slice(0, 8)}`,
                index,
                type: 'function',
                function: { name: c.name, arguments: reply.argumentsAs === 'object' ? c.args : JSON.stringify(c.args) },
              })),
            };
      send(res, 200, {
        id: `chatcmpl-${Math.floor(Math.random() * 1000)}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        system_fingerprint: 'fp_ollama',
        choices: [{ index: 0, message, finish_reason: reply.kind === 'text' ? 'stop' : 'tool_calls' }],
        usage: { prompt_tokens: 1200, completion_tokens: 150, total_tokens: 1350 },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, model, requests, script: (...r) => queue.push(...r) };
}
