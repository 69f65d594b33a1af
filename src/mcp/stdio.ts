import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpDeps } from './deps.js';
import { buildMcpServer } from './server.js';

/** A message bigger than this closes the connection: tool arguments are small (a note is at most 10,000 characters). */
const MAX_MESSAGE_BYTES = 1_048_576;

/**
 * Serves MCP on stdin/stdout until the client closes stdin (or a signal arrives). stdout carries the protocol only:
 * logs go to stderr.
 */
export async function serveStdio(deps: McpDeps, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<void> {
  const server = buildMcpServer(deps);
  const transport = new StdioServerTransport(input as typeof process.stdin, output as typeof process.stdout, { maxBufferSize: MAX_MESSAGE_BYTES });
  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve;
    input.once('end', resolve);
    input.once('close', resolve);
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await server.connect(transport);
  await closed;
  await server.close();
}
