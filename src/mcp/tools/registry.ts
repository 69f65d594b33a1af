import { actionTools } from './actions.js';
import { analysisTools } from './analysis.js';
import { issueTools } from './issues.js';
import { noteTools } from './notes.js';
import type { ToolGroup } from './tool-group.js';

/**
 * Every tool group, in the order tools/list shows them. A new group is one file exporting a ToolGroup and one line
 * here (acknowledging an issue and creating a silence will be `silenceTools` in tools/silences.ts). There is no
 * approve or reject tool, on purpose: a human decides in the CLI, the dashboard or chat.
 */
export const TOOL_GROUPS: readonly ToolGroup[] = [issueTools, actionTools, noteTools, analysisTools];
