import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';

export interface NetdataTarget {
  url: string;
  /** '' = the Netdata host's uid from /api/v1/info. */
  serverId: string;
}

/**
 * The Netdata agents to poll: `netdata.url` (the seed's key; '' turns it off) and every `netdata.servers[]` entry,
 * each URL once. `netdata.url` is this machine's Netdata: its issues carry the agent's own id (`opsagent.serverId`,
 * else the hostname, as the push path and the analysis use), so the agent investigates and acts on them. A
 * `netdata.servers[]` entry without an id is named by its Netdata uid from /api/v1/info.
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
  add(config.netdata.url.trim(), config.opsagent.serverId || hostname());
  for (const s of config.netdata.servers) add(s.url, s.id);
  return targets;
}
