import { validateProposal, type ValidProposal } from '../model/action-catalog.js';
import { mountPointsBelow, parseMountInfo, unsafeRootReason } from '../model/cleanup-roots.js';
import { ownProcessReason } from '../model/own-process.js';
import { cgroupAllowed, protectedNames } from '../model/protected.js';
import { checkRestartableUnit, serviceUnitsInCgroup } from '../model/service-units.js';
import { errorMessage } from '../errors.js';
import { parseStat } from '../model/proc-stat.js';
import { exclusionReason, type ProcessFilter } from './gatherers/processes.js';
import { LIVE_MACHINE, type MachineView } from './machine-view.js';
import type { DraftAnalysis, RejectedProposal } from './types.js';

/** What the machine checks compare proposals with (slices of config.actions and config.opsagent). */
export interface ProposalPolicy {
  processFilter: ProcessFilter;
  cleanupRoots: string[];
  serviceAllow: string[];
  serviceDeny: string[];
  permissionLevel: 'readonly' | 'limited' | 'full';
  /** False when the issue is on another server: local PIDs and paths mean nothing there. */
  local: boolean;
}

const MAX_PROPOSALS = 8;

async function checkProcess(params: Record<string, unknown>, policy: ProposalPolicy, machine: MachineView): Promise<string | undefined> {
  const pid = params.pid as number;
  const name = params.name as string;
  const statText = await machine.readText(`/proc/${pid}/stat`);
  if (statText === undefined) return `no process with PID ${pid}`;
  const stat = parseStat(statText);
  if (!stat) return `cannot read process ${pid}`;
  const rawCmdline = (await machine.readText(`/proc/${pid}/cmdline`, 16_384)) ?? '';
  const argv = rawCmdline.split('\0').filter((a) => a !== '');
  const cmdline = rawCmdline.replace(/\0+$/, '').replace(/\0/g, ' ');
  const argv0 = cmdline.split(' ')[0]?.split('/').pop() ?? '';
  // comm is cut at 15 characters, so a longer real name matches on its first 15
  const matches = name === stat.comm || name === argv0 || (stat.comm.length === 15 && name.startsWith(stat.comm));
  if (!matches) return `PID ${pid} is '${stat.comm}', not '${name}'`;
  if (typeof params.startTime === 'number' && params.startTime !== stat.startTime) return `PID ${pid} was reused: start time differs`;
  // Pinned now, so an approval given an hour later can never hit another process that got the same PID.
  if (params.startTime === undefined && Number.isInteger(stat.startTime)) params.startTime = stat.startTime;
  const status = (await machine.readText(`/proc/${pid}/status`)) ?? '';
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '';
  const passwd = (await machine.readText('/etc/passwd', 1_000_000)) ?? '';
  const user = passwd.split('\n').find((l) => l.split(':')[2] === uid)?.split(':')[0] ?? uid;
  const cgroup = (await machine.readText(`/proc/${pid}/cgroup`)) ?? '';
  const filter = { ...policy.processFilter, protectedNames: protectedNames(policy.processFilter.protectedNames) };
  const ours = await ownProcessReason({ pid, argv, cgroup }, (p) => machine.readUntrusted(p));
  const excluded = exclusionReason({ pid, name: stat.comm, user, cmdline, ours }, cgroup, filter);
  if (excluded) return excluded;
  // exclusionReason matches cgroups as substrings; the executor (and so this check) wants whole path segments.
  if (filter.allowedCgroups.length > 0 && !cgroupAllowed(cgroup, filter.allowedCgroups)) return 'cgroup not in actions.killProcess.allowedCgroups';
  return undefined;
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** The executor's root rules (cleanup-roots.ts), so a path it would refuse is never proposed. */
async function checkPath(path: string, roots: string[], machine: MachineView): Promise<string | undefined> {
  let real: string;
  try {
    real = await machine.realpath(path);
  } catch {
    return `${path} does not exist`;
  }
  const root = roots.find((r) => isInside(real, r)) ?? roots.find((r) => isInside(path, r));
  if (!root) return `${path} is not inside a cleanup root (actions.cleanupDisk.roots: ${roots.join(', ') || 'none'})`;
  const unsafe = await unsafeRootReason(root, (p) => machine.lstat(p), machine.agentUid());
  if (unsafe) return unsafe;
  if (!isInside(real, root)) return `${path} (really ${real}) is not inside a cleanup root (actions.cleanupDisk.roots: ${roots.join(', ')})`;
  const mountinfo = await machine.readText('/proc/self/mountinfo', 1_000_000);
  if (mountinfo === undefined) return `/proc/self/mountinfo cannot be read, so the mounts below ${root} are unknown`;
  const crossed = mountPointsBelow(parseMountInfo(mountinfo), root).find((m) => isInside(real, m));
  if (crossed) return `${real} is on another mount (${crossed} is mounted below ${root}), and cleanup_disk never leaves the mount of its root`;
  return undefined;
}

/** The unit rule of service-units.ts, the one the executor applies again before systemctl runs. */
async function checkService(service: string, policy: ProposalPolicy, machine: MachineView): Promise<string | undefined> {
  const ownUnits = serviceUnitsInCgroup((await machine.readText('/proc/self/cgroup')) ?? '');
  const verdict = checkRestartableUnit(service, { allow: policy.serviceAllow, deny: policy.serviceDeny, ownUnits });
  return verdict.ok ? undefined : verdict.reason;
}

/** The checks the catalog cannot make: the machine's state and the operator's restrictions. */
async function machineCheck(p: ValidProposal, policy: ProposalPolicy, machine: MachineView): Promise<string | undefined> {
  switch (p.type) {
    case 'kill_process':
      return policy.local ? checkProcess(p.params, policy, machine) : 'the issue is on another server; a local PID cannot be targeted';
    case 'cleanup_disk':
      return policy.local ? checkPath(p.params.path as string, policy.cleanupRoots, machine) : 'the issue is on another server; local paths cannot be targeted';
    case 'restart_service':
      return checkService(p.params.service as string, policy, machine);
    case 'custom_command':
      // Analysis output (LLM text, influenced by alert text) must never become an arbitrary command below full mode.
      return policy.permissionLevel === 'full' ? undefined : `custom_command is only allowed in full mode (permissionLevel is ${policy.permissionLevel})`;
    case 'notify_human':
    case 'clear_cache':
    case 'log_analysis':
      return undefined;
  }
}

/**
 * Validates every proposal of a draft: catalog type and parameter schema first, then the machine checks.
 * Invalid proposals are dropped with the reason; duplicates are dropped silently. Never executes anything.
 */
export async function checkProposals(
  proposals: DraftAnalysis['proposals'],
  policy: ProposalPolicy,
  machine: MachineView = LIVE_MACHINE,
): Promise<{ valid: ValidProposal[]; rejected: RejectedProposal[] }> {
  const valid: ValidProposal[] = [];
  const rejected: RejectedProposal[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of proposals.entries()) {
    if (i >= MAX_PROPOSALS) {
      rejected.push({ type: String(raw.type).slice(0, 64), params: null, reason: `more than ${MAX_PROPOSALS} proposals` });
      continue;
    }
    const checked = validateProposal(raw);
    if (!checked.ok) {
      rejected.push({ type: checked.type, params: clip(raw.params), reason: checked.reason });
      continue;
    }
    let why: string | undefined;
    try {
      why = await machineCheck(checked.proposal, policy, machine);
    } catch (err) {
      why = `check failed: ${errorMessage(err)}`;
    }
    if (why) {
      rejected.push({ type: checked.proposal.type, params: checked.proposal.params, reason: why });
      continue;
    }
    const key = `${checked.proposal.type}:${JSON.stringify(checked.proposal.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    valid.push(checked.proposal);
  }
  return { valid, rejected };
}

/** Rejected parameters are recorded for the audit trail, but never more than a little of them. */
function clip(params: unknown): unknown {
  if (params === undefined) return null;
  const text = JSON.stringify(params) ?? 'null';
  return text.length > 500 ? `${text.slice(0, 500)}…` : params;
}
