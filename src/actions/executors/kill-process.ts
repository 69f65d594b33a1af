import type { ActionParams } from '../../model/action-catalog.js';
import { ownProcessReason } from '../../model/own-process.js';
import { cgroupAllowed, protectedNameMatch } from '../../model/protected.js';
import { readSmallFile } from '../../model/read-small-file.js';
import { answersTo, isGone, isKernelThread, processNames, readProc, userName, type ProcInfo } from './proc-info.js';
import { fail, type ExecutionContext, type Executor } from './types.js';

const POLL_MS = 50;
const AFTER_KILL_WAIT_MS = 3_000;

/** Why this process must not be signalled, or undefined when it may be. Checked again right before each signal. */
export async function refusalFor(p: ProcInfo, params: ActionParams<'kill_process'>, ctx: ExecutionContext): Promise<string | undefined> {
  const cfg = ctx.config.killProcess;
  if (p.pid === 1) return 'refusing to signal PID 1 (init)';
  if (ctx.selfPids.includes(p.pid)) return `refusing to signal PID ${p.pid}: it is the agent itself or its parent`;
  if (isKernelThread(p)) return `refusing to signal PID ${p.pid}: it is a kernel thread`;
  if (!answersTo(p, params.name)) return `PID ${p.pid} is "${p.comm}", not "${params.name}" (the process changed; nothing was signalled)`;
  if (params.startTime !== undefined && p.startTime !== params.startTime) {
    return `PID ${p.pid} started at tick ${p.startTime}, not ${params.startTime}: the PID was reused by another process`;
  }
  const names = processNames(p);
  const protectedName = protectedNameMatch(names, cfg.protectedNames);
  if (protectedName) return `refusing to signal PID ${p.pid}: "${protectedName}" is protected (built in or actions.killProcess.protectedNames)`;
  // Our own processes answer to "node", so they are known by what they run, not by name: a second daemon, a CLI.
  const ours = await ownProcessReason(p, readSmallFile);
  if (ours) return `refusing to signal PID ${p.pid}: ${ours}; the agent never stops itself or another OpsAgent process`;
  if (cfg.allowedPids.length > 0 && !cfg.allowedPids.includes(p.pid)) return `PID ${p.pid} is not in actions.killProcess.allowedPids`;
  if (cfg.allowedNames.length > 0 && !names.some((n) => cfg.allowedNames.includes(n))) {
    return `"${p.comm}" is not in actions.killProcess.allowedNames`;
  }
  if (cfg.allowedUsers.length > 0) {
    const user = await userName(p.uid);
    if (!cfg.allowedUsers.includes(String(p.uid)) && !(user && cfg.allowedUsers.includes(user))) {
      return `PID ${p.pid} runs as ${user ?? `uid ${p.uid}`}, not a user in actions.killProcess.allowedUsers`;
    }
  }
  if (cfg.allowedCgroups.length > 0 && !cgroupAllowed(p.cgroup, cfg.allowedCgroups)) {
    return `PID ${p.pid} is not in a cgroup listed in actions.killProcess.allowedCgroups`;
  }
  return undefined;
}

async function waitGone(pid: number, startTime: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (isGone(await readProc(pid), startTime)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Verifies identity (PID, name, start time) and every restriction, then signals; fails instead of guessing. */
async function signalIfSame(pid: number, startTime: number, signal: NodeJS.Signals, params: ActionParams<'kill_process'>, ctx: ExecutionContext): Promise<string | undefined> {
  const p = await readProc(pid);
  if (isGone(p, startTime)) return 'gone';
  const refusal = await refusalFor(p!, params, ctx);
  if (refusal) return refusal;
  try {
    process.kill(pid, signal);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'gone';
    return `cannot send ${signal} to PID ${pid}: ${code ?? String(err)}`;
  }
}

/** SIGTERM, a grace period, then SIGKILL — each signal only after re-checking that the PID is still the same process. */
export const killProcess: Executor = async (raw, ctx) => {
  const params = raw as ActionParams<'kill_process'>;
  const first = await readProc(params.pid);
  if (!first) return fail(`Process ${params.name} (PID ${params.pid}) is not running; nothing to kill`);
  const refusal = await refusalFor(first, params, ctx);
  if (refusal) return fail(`not killed: ${refusal}`);
  const label = `${params.name} (PID ${params.pid})`;
  if (ctx.config.dryRun) return { success: true, summary: `Dry run: would send ${params.signal} to ${label}`, output: `comm=${first.comm} start=${first.startTime}` };

  const graceMs = ctx.config.killProcess.graceMs;
  const log: string[] = [];
  const sent = await signalIfSame(params.pid, first.startTime, params.signal, params, ctx);
  if (sent === 'gone') return { success: true, summary: `Process ${params.name} killed`, output: 'the process exited before it was signalled' };
  if (sent) return fail(`not killed: ${sent}`);
  log.push(`sent ${params.signal} to ${label}`);
  if (params.signal === 'SIGTERM') {
    if (await waitGone(params.pid, first.startTime, graceMs)) {
      log.push('exited within the grace period');
      return { success: true, summary: `Process ${params.name} killed`, output: log.join('\n') };
    }
    const kill = await signalIfSame(params.pid, first.startTime, 'SIGKILL', params, ctx);
    if (kill === 'gone') return { success: true, summary: `Process ${params.name} killed`, output: log.join('\n') };
    if (kill) return fail(`SIGTERM did not stop ${label} within ${graceMs} ms and SIGKILL was not sent: ${kill}`, log.join('\n'));
    log.push(`still running after ${graceMs} ms: sent SIGKILL`);
  }
  if (await waitGone(params.pid, first.startTime, AFTER_KILL_WAIT_MS)) {
    return { success: true, summary: `Process ${params.name} killed${params.signal === 'SIGTERM' ? ' (SIGKILL after the grace period)' : ''}`, output: log.join('\n') };
  }
  return fail(`${label} is still running after SIGKILL (uninterruptible sleep?)`, log.join('\n'));
};
