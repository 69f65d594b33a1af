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

/**
 * Runs argv[0] with argv[1..] and no shell, so nothing in the arguments is ever interpreted. Output beyond the limit
 * is counted but not kept (a chatty program cannot exhaust memory); after timeoutMs the process gets SIGKILL.
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
    const child = spawn(file, args, { shell: false, stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    const collect = (chunk: Buffer) => {
      const room = Math.max(0, options.outputLimitBytes - kept);
      const part = chunk.subarray(0, room);
      if (part.length > 0) chunks.push(part);
      kept += part.length;
      dropped += chunk.length - part.length;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    const finish = (result: Omit<CommandResult, 'output'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      let output = Buffer.concat(chunks).toString('utf8').replace(/\uFFFD+$/, '');
      if (dropped > 0) output += `\n… [output truncated: ${dropped} more bytes]`;
      resolve({ ...result, output });
    };
    child.on('error', (err) => finish({ exitCode: null, signal: null, timedOut, spawnError: err.message }));
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
