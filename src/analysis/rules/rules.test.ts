import { describe, expect, it } from 'vitest';
import { parseOomKills } from '../gatherers/kernel-log.js';
import { vmSwapBytes } from '../gatherers/processes.js';
import { parseSystemctlShow } from '../gatherers/systemd-unit.js';
import { ruleFor } from '../local-analyzer.js';
import { STOCK_ALARMS } from './stock-alarms.js';
import { unitFromChart } from './systemd-units.js';

describe('unitFromChart', () => {
  it.each([
    ['systemdunits_service-units.unit_nginx_service_state', 'nginx.service'],
    ['systemdunits_service-units.unit_php8.2-fpm_service_state', 'php8.2-fpm.service'],
    ['systemdunits_all.unit_app@blue_service_state', 'app@blue.service'],
    ['systemdunits_service-units.unit_docker_socket_state', 'docker.socket'],
    ['system.cpu', undefined],
  ])('%s names %s', (chart, unit) => {
    expect(unitFromChart(chart)).toBe(unit);
  });
});

describe('kernel log', () => {
  it('finds the victims of the OOM killer in both line shapes, one per PID', () => {
    const kills = parseOomKills([
      'kernel: oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=api-worker,pid=51234,uid=1000',
      'kernel: Out of memory: Killed process 51234 (api-worker) total-vm:7340032kB, anon-rss:6291456kB, file-rss:0kB',
      'kernel: Memory cgroup out of memory: Killed process 777 (php-fpm) total-vm:1kB, anon-rss:2048kB, file-rss:0kB',
      'kernel: oom-kill:constraint=CONSTRAINT_MEMCG,task=redis-server,pid=888,uid=0',
    ]);
    expect(kills.map((k) => [k.pid, k.name, k.anonRssBytes])).toEqual([
      [51234, 'api-worker', 6291456 * 1024],
      [777, 'php-fpm', 2048 * 1024],
      [888, 'redis-server', null],
    ]);
  });
});

describe('systemctl show', () => {
  it('reads the state of a failed unit', () => {
    const s = parseSystemctlShow('nginx.service', 'Id=nginx.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\nResult=exit-code\nNRestarts=3\nExecMainStatus=1\n');
    expect(s).toEqual({ unit: 'nginx.service', loadState: 'loaded', activeState: 'failed', subState: 'failed', result: 'exit-code', nRestarts: 3, execMainStatus: 1, lines: [] });
  });
  it('reads VmSwap from /proc/PID/status', () => {
    expect(vmSwapBytes('Name:\tx\nVmSwap:\t  2048 kB\n')).toBe(2048 * 1024);
    expect(vmSwapBytes('Name:\tkthreadd\n')).toBe(0);
  });
});

describe('ruleFor', () => {
  it.each([
    ['10min_cpu_usage', 'system.cpu', 'system.cpu', 'cpu-busiest-process'],
    ['oom_kill', 'mem.oom_kill', 'mem.oom_kill', 'oom-kill'],
    ['used_swap', 'system.swap', 'system.swap', 'swap-largest-swapper'],
    ['disk_inode_usage', 'disk.inodes', 'disk_inodes._', 'inode-busiest-directory'],
    ['systemd_service_unit_failed_state', 'systemd.service_unit_state', 'systemdunits_x.unit_nginx_service_state', 'systemd-service-failed'],
    ['interface_inbound_errors', 'net.errors', 'net_errors.eth0', 'network-interface'],
    // custom alarms: by the stock chart context, then by words
    ['my_root_inodes', 'disk.inodes', 'disk_inodes._', 'inode-busiest-directory'],
    ['my_load', 'system.load', 'system.load', 'load-busiest-process'],
    ['buggy_app_cpu_usage', 'statsd_x.cpu_gauge', 'statsd_x.cpu_gauge', 'cpu-busiest-process'],
    ['api_server_ram_usage', 'statsd_x.rss', 'statsd_x.rss', 'memory-largest-process'],
    ['scenario_disk_space_usage', 'statsd_x.disk', 'statsd_x.disk', 'disk-space-cleanup'],
    ['web_log_5xx', 'web_log.response_codes', 'web_log_nginx.response_codes', 'fallback'],
    ['toString', 'x', 'x', 'fallback'],
  ])('%s (%s) → %s', (name, context, chart, rule) => {
    expect(ruleFor({ name, context, chart }).id).toBe(rule);
  });

  it('has a rule, evidence and proposals for every stock alarm', () => {
    const problems = Object.entries(STOCK_ALARMS).flatMap(([name, a]) => [
      ...(ruleFor({ name, context: a.on, chart: a.on }).id === a.rule.id ? [] : [`${name}: answered by another rule`]),
      ...(a.evidence.length > 3 && a.proposals.length > 3 ? [] : [`${name}: no evidence or proposals described`]),
    ]);
    expect(problems).toEqual([]);
  });
});
