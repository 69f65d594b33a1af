import { pino, type Logger } from 'pino';
import { SecretMasker } from './secrets.js';

export type { Logger };

const REDACT = ['*.apiToken', '*.apiKey', '*.webhookUrl', '*.token', '*.authToken', 'headers.authorization', 'req.headers.authorization'];

/**
 * The one root logger. JSON on stdout for machines; pretty when a person watches a terminal.
 * CLI commands other than `run` use level 'warn' so their output is not mixed with log lines.
 * Every line passes through `secrets` just before it is written (pino's streamWrite hook, which child loggers share):
 * `redact` only knows field names, while a secret also hides inside messages and error texts. Without a config's
 * masker, the secret environment variables and every URL credential are masked all the same.
 */
export function createLogger(
  options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream; secrets?: SecretMasker } = {},
): Logger {
  const level = options.level ?? process.env.OPSAGENT_LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !process.env.CI);
  const secrets = options.secrets ?? SecretMasker.fromEnv(process.env);
  const hooks = { streamWrite: secrets.mask };
  if (pretty) {
    return pino({ level, redact: REDACT, hooks, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino({ level, redact: REDACT, hooks }, (options.destination ?? process.stdout) as pino.DestinationStream);
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
