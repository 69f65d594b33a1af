import { procStatusMb, startChildDaemon } from './child-daemon.js';

export interface StartupResult {
  startupMs: number[];
  idleRssMb: number | null;
}

/** Start-up time (spawn → /healthz 200, the daemon on its defaults with Netdata off) and RSS after idling. */
export async function runStartupBench(runs = 5, idleSeconds = 10): Promise<StartupResult> {
  const startupMs: number[] = [];
  let idleRssMb: number | null = null;
  for (let i = 0; i < runs; i++) {
    const d = await startChildDaemon();
    startupMs.push(d.startupMs);
    if (i === runs - 1) {
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      idleRssMb = procStatusMb(d.child.pid, 'VmRSS');
    }
    await d.stop();
  }
  return { startupMs, idleRssMb };
}
