import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = ['*.apiToken', '*.apiKey', '*.webhookUrl', '*.token', '*.authToken', 'headers.authorization', 'req.headers.authorization'];

/**
 * The one root logger. JSON on stdout for machines; pretty when a person watches a terminal.
 * CLI commands other than `run` use level 'warn' so their output is not mixed with log lines.
 */
export function createLogger(options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.OPSAGENT_LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !process.env.CI);
  if (pretty) {
    return pino({ level, redact: REDACT, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino({ level, redact: REDACT }, (options.destination ?? process.stdout) as pino.DestinationStream);
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
