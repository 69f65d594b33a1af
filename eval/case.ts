import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { NetdataLogEntry } from '../src/sources/netdata-client.js';

/** One process as recorded on the machine (ps + /proc/PID/{status,cgroup}). */
export const RecordedProcess = z.strictObject({
  pid: z.number().int().positive(),
  ppid: z.number().int().min(0).default(1),
  name: z.string().min(1).max(64),
  cmdline: z.string().max(2_000),
  user: z.string().default('app'),
  uid: z.number().int().min(0).default(1000),
  cgroup: z.string().default('0::/user.slice/user-1000.slice/session-1.scope'),
  cpuPercent: z.number().min(0).default(0),
  rssMiB: z.number().min(0).default(10),
  swapMiB: z.number().min(0).default(0),
  startTime: z.number().int().min(0).default(100_000),
  /** The process runs the OpsAgent CLI (ownProcessReason would say so). */
  ours: z.boolean().default(false),
});
export type RecordedProcess = z.infer<typeof RecordedProcess>;

/** A top-level directory of a cleanup root, summarised as the disk gatherer would see it. */
const RecordedDir = z.strictObject({ path: z.string(), files: z.number().int().min(0), oldFiles: z.number().int().min(0), sizeMiB: z.number().min(0), oldMiB: z.number().min(0) });

export const RecordedMachine = z.strictObject({
  processes: z.array(RecordedProcess).default([]),
  /** Processes running (ranking depth): defaults to the recorded ones. */
  totalProcesses: z.number().int().optional(),
  memory: z
    .strictObject({ totalMiB: z.number(), availableMiB: z.number(), swapTotalMiB: z.number().default(0), swapFreeMiB: z.number().default(0), cachedMiB: z.number().default(0) })
    .nullable()
    .default(null),
  mounts: z
    .array(z.strictObject({ mount: z.string(), fsType: z.string().default('ext4'), sizeGiB: z.number(), usedPercent: z.number(), inodesUsedPercent: z.number().default(10) }))
    .default([]),
  cleanupRoots: z
    .array(z.strictObject({ root: z.string(), uid: z.number().int().default(0), mode: z.number().int().optional(), symlink: z.boolean().default(false), dirs: z.array(RecordedDir).default([]) }))
    .default([]),
  logs: z.strictObject({ source: z.string(), lines: z.array(z.string()) }).default({ source: 'journalctl -p err', lines: [] }),
  /** Kernel messages, or why none could be read. */
  kernelLog: z.union([z.strictObject({ source: z.string(), lines: z.array(z.string()) }), z.strictObject({ error: z.string() })]).default({ source: 'journalctl -k', lines: [] }),
  /** `systemctl show` per unit; a unit not listed is `not-found`. systemd: false = no systemd (a container). */
  systemd: z.boolean().default(true),
  units: z
    .record(z.string(), z.strictObject({ LoadState: z.string().default('loaded'), ActiveState: z.string(), SubState: z.string().default('dead'), Result: z.string().default('success'), NRestarts: z.number().int().default(0), ExecMainStatus: z.number().int().default(0), journal: z.array(z.string()).default([]) }))
    .default({}),
});
export type RecordedMachine = z.infer<typeof RecordedMachine>;

const Culprit = z.strictObject({ pid: z.number().int().optional(), name: z.string().optional(), unit: z.string().optional(), path: z.string().optional() });
const ActionMatch = z.strictObject({ type: z.string(), params: z.record(z.string(), z.unknown()).default({}) });

export const EvalCase = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string(),
  difficulty: z.enum(['easy', 'medium', 'hard']),
  /** The alarm-log entry as Netdata's /api/v1/alarm_log sends it. */
  alert: NetdataLogEntry,
  /** The server_id the alert arrived for; the machine recorded is `machineServer`. */
  server: z.string().default('web-1'),
  machineServer: z.string().default('web-1'),
  /** Netdata unreachable: the chart gatherer is pointed at a closed port. */
  netdataUnreachable: z.boolean().default(false),
  config: z
    .strictObject({
      permissionLevel: z.enum(['readonly', 'limited', 'full']).default('limited'),
      killProcess: z.record(z.string(), z.unknown()).default({}),
      restartService: z.record(z.string(), z.unknown()).default({}),
      cleanupRoots: z.array(z.string()).default(['/tmp', '/var/tmp']),
      olderThanDays: z.number().default(7),
    })
    .prefault({}),
  machine: RecordedMachine,
  expect: z.strictObject({
    /** What the summary or likely cause must name; null = no culprit to name. */
    culprit: Culprit.nullable(),
    /** The first remediation (not notify_human/log_analysis) proposed, params as a subset; null = none. */
    action: ActionMatch.nullable(),
    /** Proposals that must not be among the valid ones. */
    forbidden: z.array(ActionMatch).default([]),
    requiresHumanAttention: z.boolean(),
  }),
});
export type EvalCase = z.infer<typeof EvalCase>;

export const CASES_DIR = join(import.meta.dirname, 'cases');

/** Every case file, parsed; a broken fixture is an error naming the file. */
export function loadCases(dir = CASES_DIR): EvalCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const parsed = EvalCase.safeParse(JSON.parse(readFileSync(join(dir, f), 'utf8')));
      if (!parsed.success) throw new Error(`eval case ${f}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      if (`${parsed.data.id}.json` !== f) throw new Error(`eval case ${f}: id ${parsed.data.id} does not match the file name`);
      return parsed.data;
    });
}
