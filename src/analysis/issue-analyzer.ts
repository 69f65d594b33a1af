import type { Issue } from '../model/issue.js';
import { runbookFor, type Runbook } from '../model/runbook.js';
import { alertOf, Gatherers, type GatherSettings } from './gatherers/gather-context.js';
import type { LlmSettings } from './llm-agent.js';
import { analyseLocally, ruleFor } from './local-analyzer.js';
import { checkProposals, type ProposalPolicy } from './proposal-checks.js';
import type { AnalysisContext, AnalysisResult, AnalysisUsage, DraftAnalysis } from './types.js';

export interface AnalyzerSettings {
  gather: GatherSettings;
  policy: Omit<ProposalPolicy, 'local'>;
  /** Undefined = no API key: the local analyser answers. */
  llm?: LlmSettings;
  /** The local runbooks (runbooks.dir): the one matching the issue is context, and its actions are proposed. */
  runbooks?: readonly Runbook[];
}

export interface AnalyseOptions {
  /**
   * Called right before the LLM would be used; returns a reason to use the local analyser instead (the hourly cap),
   * or undefined after reserving the budget.
   */
  reserveLlm?: () => Promise<string | undefined>;
}

/** Gathers the context, asks the LLM (or the local rules), validates the proposals. Never executes anything. */
export class IssueAnalyzer {
  readonly #settings: AnalyzerSettings;
  readonly #gatherers: Gatherers;
  readonly #now: () => number;

  constructor(settings: AnalyzerSettings, options: { now?: () => number } = {}) {
    this.#settings = settings;
    this.#gatherers = new Gatherers(settings.gather);
    this.#now = options.now ?? Date.now;
  }

  get usesLlm(): boolean {
    return this.#settings.llm !== undefined;
  }

  async analyse(issue: Issue, options: AnalyseOptions = {}): Promise<AnalysisResult> {
    const started = this.#now();
    const rule = ruleFor(alertOf(issue));
    const ctx = await this.#gatherers.gatherAll(issue, rule.needs);
    const runbook = runbookFor(this.#settings.runbooks ?? [], issue);
    if (runbook) ctx.runbook = { title: runbook.title, file: runbook.file, body: runbook.body, actions: runbook.actions };
    if (issue.metadata.annotations) ctx.annotations = issue.metadata.annotations;
    let draft: DraftAnalysis | undefined;
    let fallbackReason: string | null = null;
    let tokens: AnalysisUsage | null = null;
    let redactedValues = 0;
    const llm = this.#settings.llm;
    if (llm) {
      const skip = options.reserveLlm ? await options.reserveLlm() : undefined;
      if (skip) {
        fallbackReason = skip;
      } else {
        // Loaded on first use: the OpenAI SDK is only needed with an API key, and costs start-up time and memory.
        const { runLlmAgent } = await import('./llm-agent.js');
        const outcome = await runLlmAgent(ctx, this.#gatherers, llm);
        tokens = outcome.usage;
        redactedValues = outcome.redactedValues;
        if (outcome.ok) draft = outcome.draft;
        else fallbackReason = outcome.reason;
      }
    }
    const analyzer = draft ? 'llm' : 'local';
    draft ??= analyseLocally(ctx);
    // The runbook's actions join whatever the analyser proposed (the LLM's or the local rules'), then all go through
    // the same checks here and the permission gate after: a runbook names an action, it never runs one itself.
    const proposals = runbook ? withRunbookActions(draft.proposals, runbook) : draft.proposals;
    const { valid, rejected } = await checkProposals(proposals, { ...this.#settings.policy, local: ctx.local }, this.#gatherers.machine);
    const remediations = valid.filter((p) => p.type !== 'notify_human' && p.type !== 'log_analysis');
    return {
      summary: draft.summary,
      likelyCause: draft.likelyCause,
      evidence: draft.evidence,
      confidence: draft.confidence,
      proposedActions: valid,
      rejectedProposals: rejected,
      analyzer,
      model: analyzer === 'llm' ? llm!.model : null,
      durationMs: this.#now() - started,
      tokens,
      fallbackReason,
      canAutoRemediate: remediations.length > 0,
      requiresHumanAttention: remediations.length === 0 || draft.confidence === 'low' || valid.some((p) => p.type === 'notify_human'),
      notes: gatherNotes(ctx),
      rule: rule.id,
      redactedValues,
    };
  }
}

function withRunbookActions(proposals: DraftAnalysis['proposals'], runbook: Runbook): DraftAnalysis['proposals'] {
  const seen = new Set(proposals.map((p) => `${p.type}\u0000${JSON.stringify(p.params ?? {})}`));
  const added = runbook.actions
    .filter((a) => !seen.has(`${a.type}\u0000${JSON.stringify(a.params ?? {})}`))
    .map((a) => ({ ...a, reason: `Runbook "${runbook.title}" (${runbook.file})${a.reason ? `: ${a.reason}` : ''}` }));
  return [...proposals, ...added];
}

function gatherNotes(ctx: AnalysisContext): string[] {
  const notes: string[] = [];
  const add = (what: string, g: { ok: boolean; error?: string } | undefined) => {
    if (g && !g.ok) notes.push(`${what}: ${g.error ?? 'failed'}`);
  };
  add('Netdata chart', ctx.chart as { ok: boolean; error?: string } | undefined);
  add('processes', ctx.processes as { ok: boolean; error?: string } | undefined);
  add('disk', ctx.disk as { ok: boolean; error?: string } | undefined);
  add('memory', ctx.memory as { ok: boolean; error?: string } | undefined);
  add('logs', ctx.logs as { ok: boolean; error?: string } | undefined);
  add('kernel log', ctx.kernel as { ok: boolean; error?: string } | undefined);
  add('systemd unit', ctx.unit as { ok: boolean; error?: string } | undefined);
  if (!ctx.local) notes.push(`processes, disk, memory and logs: the issue is on server ${ctx.alert.serverId}, not this machine`);
  return notes;
}
