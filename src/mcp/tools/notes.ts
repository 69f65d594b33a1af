import { z } from 'zod';
import { AppError } from '../../errors.js';
import { clientText, guarded, textResult } from '../text.js';
import { APPENDS, issueIdArg, type ToolGroup } from './tool-group.js';

const MAX_NOTE_CHARS = 10_000; // as POST /api/v1/issues/:id/comments

/** Notes on an issue's timeline, under the client's name: stored as text, never interpreted. */
export const noteTools: ToolGroup = (server, { deps, author }) => {
  server.registerTool(
    'add_note',
    {
      title: 'Add a note to an issue',
      description: `Append a note to an issue's timeline, recorded under your client's name (mcp:<name>). Plain text, at most ${MAX_NOTE_CHARS} characters; control characters are removed.`,
      inputSchema: {
        issue_id: issueIdArg.describe('the full issue id'),
        text: z.string().min(1).max(MAX_NOTE_CHARS),
      },
      annotations: { title: 'Add a note', ...APPENDS },
    },
    (args) =>
      guarded(async () => {
        const text = clientText(args.text, MAX_NOTE_CHARS);
        if (text === '') throw new AppError('INPUT_INVALID', 'the note is empty (after removing control characters); nothing was written');
        if (!(await deps.store.issues.get(args.issue_id))) throw new AppError('NOT_FOUND', `no issue with id "${args.issue_id}" (notes take the full id)`);
        deps.writes.take();
        const id = await deps.store.tracker.addComment(args.issue_id, { author_type: 'human', author_name: author(), comment_type: 'note', content: text });
        return textResult(`noted on ${args.issue_id} as ${author()} (comment ${id})`);
      }),
  );
};
