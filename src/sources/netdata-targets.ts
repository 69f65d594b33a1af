import type { Config } from '../config/schema.js';

export interface NetdataTarget {
  url: string;
  /** '' = the Netdata host's uid from /api/v1/info. */
  serverId: string;
}

/**
 * The Netdata agents to poll: `netdata.url` (the seed's key; '' turns it off; its server id is
 * `opsagent.serverId` when set, else the Netdata uid) and every `netdata.servers[]` entry, each URL once.
 */
export function netdataTargets(config: Config): NetdataTarget[] {
  const targets: NetdataTarget[] = [];
  const seen = new Set<string>();
  const add = (url: string, serverId: string) => {
    const key = url.replace(/\/+$/, '');
    if (!key || seen.has(key)) return;
    seen.add(key);
    targets.push({ url: key, serverId });
  };
  add(config.netdata.url.trim(), config.opsagent.serverId);
  for (const s of config.netdata.servers) add(s.url, s.id);
  return targets;
}
