import { describe, expect, it } from 'vitest';
import { formatMatcher, matches, parseMatcher, parseMatchers, targetOfEvent, type MatchTarget } from './matchers.js';

const web1: MatchTarget = {
  server: 'web-1',
  alertname: 'disk_space_usage',
  context: 'disk.space',
  chart: 'disk_space._',
  severity: 'critical',
  source: 'netdata',
  labels: { team: 'ops', instance: 'web-1:9100' },
};

describe('matchers', () => {
  it('parses the four operators, quoted and bare values', () => {
    expect(parseMatcher('server=web-1')).toEqual({ field: 'server', op: '=', value: 'web-1' });
    expect(parseMatcher('server != web-2')).toEqual({ field: 'server', op: '!=', value: 'web-2' });
    expect(parseMatcher('alertname=~"disk_.*"')).toEqual({ field: 'alertname', op: '=~', value: 'disk_.*' });
    expect(parseMatcher('label.team!~dev|qa')).toEqual({ field: 'label.team', op: '!~', value: 'dev|qa' });
    expect(parseMatcher('chart="a \\"b\\""').value).toBe('a "b"');
  });

  it.each([
    ['server=web-1', true],
    ['server=web', false],
    ['server!=web-2', true],
    ['alertname=~disk_.*', true],
    ['alertname=~disk', false], // anchored, as in Alertmanager
    ['alertname!~disk_.*', false],
    ['severity=critical', true],
    ['label.team=ops', true],
    ['label.missing=', true], // a missing label is the empty string
    ['label.missing!=', false],
    ['source=alertmanager', false],
  ])('%s → %s', (text, expected) => {
    expect(matches([parseMatcher(text)], web1)).toBe(expected);
  });

  it('ANDs a list', () => {
    expect(matches(parseMatchers(['server=web-1', 'severity=critical']), web1)).toBe(true);
    expect(matches(parseMatchers(['server=web-1', 'severity=warning']), web1)).toBe(false);
  });

  it.each([
    ['host=web-1', /unknown field "host"/],
    ['alertname=~"(unclosed"', /invalid regular expression/],
    ['server', /expected field=value/],
    ['label.=x', /unknown field/],
    ['chart="open', /quoted value is not closed/],
  ])('refuses %s', (text, why) => {
    expect(() => parseMatcher(text)).toThrow(why);
  });

  it('matches a catastrophic pattern against a long value in linear time, and refuses what RE2 refuses', () => {
    // On a backtracking engine the first match would not end in the age of the universe; here it returns at once.
    const m = parseMatcher('label.x=~"(a|aa)+"');
    expect(matches([m], { ...web1, labels: { x: `${'a'.repeat(20_000)}b` } })).toBe(false);
    expect(matches([m], { ...web1, labels: { x: 'a'.repeat(20_000) } })).toBe(true);
    expect(() => parseMatcher('alertname=~(a)\\1')).toThrow(/backreferences and lookarounds are not supported/);
    expect(() => parseMatcher('alertname=~"(?=a).*"')).toThrow(/backreferences and lookarounds are not supported/);
  });

  it('reads only the alert\'s own labels, never Object.prototype\'s members', () => {
    expect(matches([parseMatcher('label.constructor!=x')], web1)).toBe(true); // missing: the empty string
    expect(matches([parseMatcher('label.constructor=~".+"')], web1)).toBe(false);
    expect(matches([parseMatcher('label.toString=')], web1)).toBe(true);
  });

  it('refuses an empty list, and an unknown operator given as an object', () => {
    expect(() => parseMatchers([])).toThrow(/at least one matcher/);
    expect(() => parseMatchers([{ field: 'server', op: '~=', value: 'x' }])).toThrow(/unknown operator/);
  });

  it('formats back to text that parses to the same matcher', () => {
    for (const text of ['server=web-1', 'alertname=~"disk_.*"', 'label.team!="a b"']) {
      const m = parseMatcher(text);
      expect(parseMatcher(formatMatcher(m))).toEqual(m);
    }
  });

  it('reads an event: severity from its status, labels as given', () => {
    const t = targetOfEvent({
      server_id: 'db-1', name: 'HighLoad', context: 'node', chart: 'db-1:9100', status: 'CRITICAL',
      source: 'alertmanager', occurred_at: 1, labels: { team: 'db' },
    });
    expect(matches(parseMatchers(['server=db-1', 'severity=critical', 'label.team=db']), t)).toBe(true);
  });
});
