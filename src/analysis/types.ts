import type { ValidProposal } from '../model/action-catalog.js';

/** One running process as the gatherers see it. Names and command lines are untrusted (any user can set them). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  name: string;
  cmdline: string;
  user: string;
  uid: number;
  /** The systemd service unit the process belongs to (from /proc/PID/cgroup), if any. */
  unit: string | null;
  cpuPercent: number;
  rssBytes: number;
  /** VmSwap of /proc/PID/status: what of the process sits in swap (0 when unknown). */
  swapBytes: number;
  /** Clock ticks since boot (/proc/PID/stat field 22): with the PID, identifies the process across PID reuse. */
  startTime: number;
  /** False when config.actions.killProcess would never let an action touch it. */
  candidate: boolean;
  excludedBecause?: string;
}

export interface ProcessSnapshot {
  sampleMs: number;
  total: number;
  topCpu: ProcessInfo[];
  topMemory: ProcessInfo[];
  /** The best processes an action may target (filters of config.actions.killProcess applied). */
  candidatesCpu: ProcessInfo[];
  candidatesMemory: ProcessInfo[];
  /** By swap use (VmSwap); empty unless the alert's rule asked for it (reading every status file costs). */
  topSwap: ProcessInfo[];
  candidatesSwap: ProcessInfo[];
  /** The parents with the most child processes (a fork storm fills the PID space). */
  topParents: { process: ProcessInfo; children: number }[];
}

export interface MountUsage {
  mount: string;
  fsType: string;
  sizeBytes: number;
  usedBytes: number;
  availBytes: number;
  usedPercent: number;
  inodes: number;
  inodesUsedPercent: number;
}

export interface FileEntry {
  path: string;
  sizeBytes: number;
  mtimeMs: number;
}

export interface CleanupRootScan {
  root: string;
  exists: boolean;
  filesSeen: number;
  totalBytes: number;
  /** Files older than actions.cleanupDisk.olderThanDays: what cleanup_disk would remove. */
  oldFiles: number;
  oldBytes: number;
  largestDirs: { path: string; sizeBytes: number }[];
  /** Top-level directories by number of files (what exhausts inodes), with how many of those are old. */
  busiestDirs: { path: string; files: number; oldFiles: number }[];
  oldestFiles: FileEntry[];
  largestFiles: FileEntry[];
  truncated: boolean;
}

export interface DiskSnapshot {
  mounts: MountUsage[];
  cleanupRoots: CleanupRootScan[];
  olderThanDays: number;
}

export interface MemorySnapshot {
  totalBytes: number;
  availableBytes: number;
  usedPercent: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
  swapUsedPercent: number;
  cachedBytes: number;
}

export interface ChartSnapshot {
  chart: string;
  url: string;
  afterSeconds: number;
  points: number;
  dimensions: { name: string; last: number | null; min: number | null; max: number | null; avg: number | null }[];
}

export interface LogSnapshot {
  source: string;
  lines: string[];
}

/** One OOM kill found in the kernel log. */
export interface OomKill {
  pid: number;
  name: string;
  /** anon-rss of the victim when it was killed, if the line says. */
  anonRssBytes: number | null;
  line: string;
}

export interface KernelLogSnapshot {
  source: string;
  oomKills: OomKill[];
  lines: string[];
}

/** `systemctl show` of one unit, and its last journal lines. */
export interface UnitStatus {
  unit: string;
  loadState: string;
  activeState: string;
  subState: string;
  result: string;
  nRestarts: number | null;
  execMainStatus: number | null;
  lines: string[];
}

/** A gatherer's result: its data, or why there is none. Failures are noted, never fatal. */
export type Gathered<T> = { ok: true; data: T; ms: number } | { ok: false; error: string; ms: number };

export interface AnalysisContext {
  /** The issue the analysis is about, as plain values (alert text is untrusted). */
  alert: {
    issueId: string;
    serverId: string;
    title: string;
    name: string;
    context: string;
    chart: string;
    severity: string;
    status: string;
    description: string | null;
    alertCount: number;
    firstSeenAt: number;
    lastSeenAt: number;
  };
  /** False when the issue belongs to another server: this machine's processes and disks say nothing about it. */
  local: boolean;
  chart?: Gathered<ChartSnapshot>;
  processes?: Gathered<ProcessSnapshot>;
  disk?: Gathered<DiskSnapshot>;
  memory?: Gathered<MemorySnapshot>;
  logs?: Gathered<LogSnapshot>;
  /** OOM kills and kernel messages, for the OOM rule. */
  kernel?: Gathered<KernelLogSnapshot>;
  /** The systemd unit an alarm names (systemd_*_unit_failed_state). */
  unit?: Gathered<UnitStatus>;
  /**
   * The operator's runbook for this issue (runbooks.dir) and the alert's runbook_url / annotations: what the people
   * who run this system want checked and done. Its named actions are proposed whatever the analyser says.
   */
  runbook?: { title: string; file: string; body: string; actions: { type: string; params?: unknown; reason?: string }[] };
  annotations?: Record<string, string>;
}

export type Confidence = 'low' | 'medium' | 'high';

/** What an analyser returns before the proposals are checked. */
export interface DraftAnalysis {
  summary: string;
  likelyCause: string;
  evidence: string[];
  confidence: Confidence;
  proposals: { type: string; params?: unknown; reason?: string }[];
}

export interface RejectedProposal {
  type: string;
  params: unknown;
  reason: string;
}

export interface AnalysisUsage {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** The finished analysis, as recorded in the `analysis` comment. */
export interface AnalysisResult {
  summary: string;
  likelyCause: string;
  evidence: string[];
  confidence: Confidence;
  proposedActions: ValidProposal[];
  rejectedProposals: RejectedProposal[];
  analyzer: 'local' | 'llm';
  model: string | null;
  durationMs: number;
  tokens: AnalysisUsage | null;
  /** Why the LLM was not used or not trusted (cap reached, upstream failure, invalid answer), if it was meant to be. */
  fallbackReason: string | null;
  canAutoRemediate: boolean;
  requiresHumanAttention: boolean;
  /** Gatherer failures, so the operator knows what the analysis could not see. */
  notes: string[];
  /** The local rule that answered, or that the LLM's context was gathered for (rules/stock-alarms.ts). */
  rule: string;
  /** Values masked in what was sent to the LLM (secrets in command lines, arguments, log lines); 0 without an LLM. */
  redactedValues: number;
}
