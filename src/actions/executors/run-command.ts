import { spawn } from 'node:child_process';

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** stdout and stderr interleaved as they arrived, cut to the byte limit. */
  output: string;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
}

/** Keeps the first limitBytes of text (on a character boundary) and says how much was cut. */
export function truncateOutput(text: string, limitBytes: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= limitBytes) return text;
  const cut = Buffer.from(text).subarray(0, limitBytes).toString('utf8').replace(/\uFFFD+$/, '');
  return `${cut}\n… [output truncated: ${bytes - limitBytes} more bytes]`;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** How long output may keep arriving after the process exited (a grandchild may hold the pipes open forever). */
const DRAIN_MS = 250;

/**
 * The environment every command gets: enough to find programs and print text, nothing else. The agent's own
 * environment holds secrets (MOONSHOT_API_KEY, DISCORD_BOT_TOKEN, OPSAGENT_API_TOKEN, …) that no command may see.
 */
export function minimalEnv(from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: from.PATH || DEFAULT_PATH, LANG: from.LANG || 'C.UTF-8', HOME: from.HOME || '/' };
  if (from.TZ) env.TZ = from.TZ;
  return env;
}

/**
 * Runs argv[0] with argv[1..] and no shell, so nothing in the arguments is ever interpreted, in a minimal
 * environment (see minimalEnv). Output beyond the limit is counted but not kept (a chatty program cannot exhaust
 * memory). The command runs in its own process group: after timeoutMs the whole group gets SIGKILL, so a script's
 * children die with it. The promise settles when the process exits (plus a short drain for its output), even if a
 * grandchild still holds the pipes.
 */
export function runCommand(argv: readonly string[], options: { timeoutMs: number; outputLimitBytes: number; env?: NodeJS.ProcessEnv }): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.resolve({ exitCode: null, signal: null, timedOut: false, output: '', spawnError: 'empty command' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let dropped = 0;
    let timedOut = false;
    let settled = false;
    let drain: NodeJS.Timeout | undefined;
    const child = spawn(file, args, { shell: false, stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? minimalEnv(), detached: true });
    const collect = (chunk: Buffer) => {
      const room = Math.max(0, options.outputLimitBytes - kept);
      const part = chunk.subarray(0, room);
      if (part.length > 0) chunks.push(part);
      kept += part.length;
      dropped += chunk.length - part.length;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL'); // the group: detached made the child its leader
      } catch {
        child.kill('SIGKILL'); // the group is gone already, or never formed
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const finish = (result: Omit<CommandResult, 'output'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(drain);
      child.stdout.destroy();
      child.stderr.destroy();
      let output = Buffer.concat(chunks).toString('utf8').replace(/\uFFFD+$/, '');
      if (dropped > 0) output += `\n… [output truncated: ${dropped} more bytes]`;
      resolve({ ...result, output });
    };
    child.on('error', (err) => finish({ exitCode: null, signal: null, timedOut, spawnError: err.message }));
    child.on('exit', (code, signal) => {
      drain = setTimeout(() => finish({ exitCode: code, signal, timedOut }), DRAIN_MS);
    });
    child.on('close', (code, signal) => finish({ exitCode: code, signal, timedOut }));
  });
}

/** One line for the operator: "exit code 3", "killed after the 30 s timeout", "cannot run systemctl: ENOENT". */
export function describeFailure(argv0: string, r: CommandResult, timeoutMs: number): string {
  if (r.spawnError) return `cannot run ${argv0}: ${r.spawnError}`;
  if (r.timedOut) return `${argv0} was killed after the ${Math.round(timeoutMs / 100) / 10} s timeout`;
  if (r.signal) return `${argv0} was killed by ${r.signal}`;
  return `${argv0} exited with code ${r.exitCode ?? '?'}`;
}
