import type { ChannelConfig, RouteEvent } from '../../config/channels-schema.js';
import { matches, parseMatcher, type Matcher, type MatchTarget } from '../../model/matchers.js';
import type { ChannelEventKind } from './types.js';

/** `web-*` → does the server id match? `*` any run of characters, `?` one; the whole id (like a shell glob). */
export function globMatches(glob: string, value: string): boolean {
  const source = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

/** What each type can show when its route names no events. */
const DEFAULT_EVENTS: Record<ChannelConfig['type'], readonly RouteEvent[]> = {
  slack: ['new', 'escalated', 'resolved', 'approvals', 'digest'],
  telegram: ['new', 'escalated', 'resolved', 'approvals', 'digest'],
  pagerduty: ['new', 'escalated', 'resolved'],
  webhook: ['new', 'escalated', 'resolved', 'approvals', 'digest'],
};

/** A channel's route, compiled once: severity ≥ minSeverity, a server glob, all matchers, and the event kinds. */
export class ChannelRoute {
  readonly #minCritical: boolean;
  readonly #servers: readonly string[];
  readonly #matchers: readonly Matcher[];
  readonly #events: ReadonlySet<string>;

  constructor(c: ChannelConfig) {
    this.#minCritical = c.route.minSeverity === 'critical';
    this.#servers = c.route.servers;
    this.#matchers = c.route.match.map((m) => parseMatcher(m));
    // An incoming webhook cannot edit: by default it is told only what needs a person (new messages only).
    const defaults = c.type === 'slack' && !(c.token && c.channel) ? (['new', 'escalated', 'approvals'] as const) : DEFAULT_EVENTS[c.type];
    this.#events = new Set(c.route.events ?? defaults);
  }

  /** `acknowledged` travels with `new` (the channel that was told an issue opened hears it was acknowledged). */
  accepts(kind: ChannelEventKind, target: MatchTarget | undefined): boolean {
    const routeKind = kind === 'acknowledged' ? 'new' : kind;
    if (!this.#events.has(routeKind)) return false;
    if (!target) return true; // a digest: not about one issue
    if (this.#minCritical && target.severity !== 'critical') return false;
    if (this.#servers.length > 0 && !this.#servers.some((g) => globMatches(g, target.server))) return false;
    return matches(this.#matchers, target);
  }
}
