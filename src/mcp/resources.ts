import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AppError } from '../errors.js';
import { loadIssueDetail } from '../pipeline/issue-detail.js';
import type { McpDeps } from './deps.js';
import { issueLine, renderIssueDetail } from './render.js';
import { issueIdArg } from './tools/tool-group.js';

const TEXT = 'text/plain';
const ISSUE_TIMELINE = 50; // a resource is attached whole: the latest 50 entries keep it readable

/** Issues and the digest as resources an assistant can attach to a conversation. */
export function registerResources(server: McpServer, deps: McpDeps): void {
  const { issues, issueActions } = deps.store;

  server.registerResource(
    'active-issues',
    'opsagent://issues',
    { title: 'Active issues', description: 'Open and investigating issues, newest activity first (at most 100)', mimeType: TEXT },
    async (uri) => {
      const list = await issues.list({ limit: 100 });
      return { contents: [{ uri: uri.href, mimeType: TEXT, text: list.length ? list.map(issueLine).join('\n') : 'no open issues' }] };
    },
  );

  server.registerResource(
    'issue',
    new ResourceTemplate('opsagent://issues/{id}', {
      list: async () => ({
        resources: (await issues.list({ limit: 100 })).map((i) => ({
          uri: `opsagent://issues/${i.id}`,
          name: i.id,
          title: `${i.title} on ${i.server_id}`.slice(0, 200),
          mimeType: TEXT,
        })),
      }),
    }),
    { title: 'An issue', description: 'Details, why grouped, the latest analysis, actions and the latest timeline entries of one issue', mimeType: TEXT },
    async (uri, variables) => {
      const id = issueIdArg.safeParse(variables.id);
      if (!id.success) throw new McpError(ErrorCode.InvalidParams, `not an issue id: ${uri.href.slice(0, 100)}`);
      try {
        const detail = await loadIssueDetail(issues, await issues.resolveId(id.data), issueActions);
        return { contents: [{ uri: uri.href, mimeType: TEXT, text: renderIssueDetail(detail, ISSUE_TIMELINE) }] };
      } catch (err) {
        if (err instanceof AppError) throw new McpError(ErrorCode.InvalidParams, err.message);
        throw err;
      }
    },
  );

  server.registerResource(
    'daily-digest',
    'opsagent://digest',
    { title: 'Daily digest', description: 'The last 24 hours: issues opened and resolved, open critical issues, actions, pending approvals, noisiest alerts', mimeType: TEXT },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: TEXT, text: await deps.digest(24) }] }),
  );
}
