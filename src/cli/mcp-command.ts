import type { Command } from 'commander';
import { lazyAction } from './lazy.js';

/** `opsagent mcp`: the MCP server on stdio, for desktop assistants (Claude Desktop, Cursor, VS Code). */
export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description('serve the Model Context Protocol on stdin/stdout: assistants read issues, add notes and propose actions (a human approves)')
    .action(
      lazyAction(program, async () => (await import('./mcp-handler.js')).mcp),
    );
}
