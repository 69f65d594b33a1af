import { SecretMasker, envSecrets, urlSecrets } from '../secrets.js';
import { channelSecrets } from './channels-schema.js';
import type { Config } from './schema.js';

/**
 * Every secret a loaded config holds: the secret keys, the credentials inside any configured URL, and the secret
 * environment variables (also those this config does not use: they are in the process all the same).
 */
export function configSecrets(config: Config, env: NodeJS.ProcessEnv = process.env): string[] {
  const urls = [
    config.netdata.url,
    ...config.netdata.servers.map((s) => s.url),
    config.llm.baseUrl,
    config.database.url,
    config.discord.webhookUrl,
    config.discord.bot.apiBaseUrl,
    config.server.publicUrl,
  ];
  return [
    config.server.apiToken,
    config.llm.apiKey,
    config.discord.webhookUrl,
    config.discord.bot.token,
    config.database.authToken,
    ...channelSecrets(config.channels),
    ...config.channels.flatMap((c) => (c.type === 'webhook' ? urlSecrets(c.url) : [])),
    ...urls.flatMap((u) => urlSecrets(u)),
    ...envSecrets(env),
  ];
}

/** The masker of everything this process writes or shows (logs, CLI, HTTP, comments), built once per loaded config. */
export function secretMaskerFor(config: Config, env: NodeJS.ProcessEnv = process.env): SecretMasker {
  return new SecretMasker(configSecrets(config, env));
}
