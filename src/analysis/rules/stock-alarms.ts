import { cpuBusiestProcess, cpuSteal, loadBusiestProcess } from './cpu.js';
import { diskIoSaturated } from './disk-io.js';
import { diskSpaceCleanup } from './disk-space.js';
import { fallback } from './fallback.js';
import { inodeBusiestDirectory } from './inodes.js';
import { memoryHardware, memoryLargestProcess } from './memory.js';
import { clockUnsynced, entropyLow, helperAlarm, networkInterface, tcpStack } from './network.js';
import { oomKill } from './oom.js';
import { pidsForkingParent } from './processes.js';
import type { AlarmRule } from './rule.js';
import { swapLargestSwapper } from './swap.js';
import { systemdOtherUnitFailed, systemdServiceFailed } from './systemd-units.js';

/** One stock Netdata 1.37 alarm (/usr/lib/netdata/conf.d/health.d/<file>) and the rule that answers it. */
export interface StockAlarm {
  file: string;
  /** The chart context the alarm is attached to (`on:`). */
  on: string;
  rule: AlarmRule;
  /** What the rule looks at, for the docs table. */
  evidence: string;
  /** What it proposes, or "notify only" and why. */
  proposals: string;
}

const PROC_ACTION = 'restart_service of its unit when it has one, else kill_process (PID, name, start time); notify when no process may be touched';
const helper = (file: string, on: string): StockAlarm => ({ file, on, rule: helperAlarm, evidence: 'chart', proposals: 'notify only: it has no warn/crit line, it only computes a value other alarms use' });
const net = (file: string, on: string): StockAlarm => ({ file, on, rule: networkInterface, evidence: 'chart (interface from the chart id)', proposals: 'notify only, with the command to look (no catalog action changes the network safely)' });
const tcp = (file: string, on: string): StockAlarm => ({ file, on, rule: tcpStack, evidence: 'chart', proposals: 'notify only: a kernel limit or a slow application; the fix is a sysctl or the application, not a kill' });
const unit = (type: string): StockAlarm => ({
  file: 'systemdunits.conf',
  on: `systemd.${type}_unit_state`,
  rule: systemdOtherUnitFailed,
  evidence: 'unit from the chart id, `systemctl show`, its journal',
  proposals: `notify only: restart_service restarts only .service units (a ${type} unit is not one)`,
});

/**
 * Every stock alarm of the host families (cpu, load, memory, swap, OOM, disks and inodes, disk I/O, systemd units,
 * network interfaces, TCP, processes/PIDs, entropy, clock sync), by alarm name. docs/analysis.md shows this table and
 * test/integration/stock-alarms.test.ts checks it against the health.d files of an installed Netdata.
 */
export const STOCK_ALARMS: Readonly<Record<string, StockAlarm>> = {
  '10min_cpu_usage': { file: 'cpu.conf', on: 'system.cpu', rule: cpuBusiestProcess, evidence: 'chart, top processes by CPU (sampled), their units', proposals: PROC_ACTION },
  '10min_cpu_iowait': { file: 'cpu.conf', on: 'system.cpu', rule: diskIoSaturated, evidence: 'chart, mounts, busiest processes', proposals: 'notify only: the writer is not known from CPU time, and killing it risks its data' },
  '20min_steal_cpu': { file: 'cpu.conf', on: 'system.cpu', rule: cpuSteal, evidence: 'chart', proposals: 'notify only: the hypervisor takes the CPU, nothing on this machine frees it' },
  load_cpu_number: helper('load.conf', 'system.load'),
  load_average_1: { file: 'load.conf', on: 'system.load', rule: loadBusiestProcess, evidence: 'chart, top processes by CPU', proposals: `${PROC_ACTION}; no busy process: notify (I/O wait)` },
  load_average_5: { file: 'load.conf', on: 'system.load', rule: loadBusiestProcess, evidence: 'chart, top processes by CPU', proposals: `${PROC_ACTION}; no busy process: notify (I/O wait)` },
  load_average_15: { file: 'load.conf', on: 'system.load', rule: loadBusiestProcess, evidence: 'chart, top processes by CPU', proposals: `${PROC_ACTION}; no busy process: notify (I/O wait)` },
  ram_in_use: { file: 'ram.conf', on: 'system.ram', rule: memoryLargestProcess, evidence: 'chart, /proc/meminfo, top processes by RSS', proposals: PROC_ACTION },
  ram_available: { file: 'ram.conf', on: 'mem.available', rule: memoryLargestProcess, evidence: 'chart, /proc/meminfo, top processes by RSS', proposals: PROC_ACTION },
  oom_kill: { file: 'ram.conf', on: 'mem.oom_kill', rule: oomKill, evidence: 'kernel log (journalctl -k, else dmesg) for who was killed, top processes by RSS for who grows now', proposals: 'restart_service / kill_process of a process of the victim\'s name that grows again; always notify_human (work was lost)' },
  '1hour_ecc_memory_correctable': { file: 'memory.conf', on: 'mem.ecc_ce', rule: memoryHardware, evidence: 'chart', proposals: 'notify only: failing RAM, replace the DIMM' },
  '1hour_ecc_memory_uncorrectable': { file: 'memory.conf', on: 'mem.ecc_ue', rule: memoryHardware, evidence: 'chart', proposals: 'notify only: failing RAM, replace the DIMM' },
  '1hour_memory_hw_corrupted': { file: 'memory.conf', on: 'mem.hwcorrupt', rule: memoryHardware, evidence: 'chart', proposals: 'notify only: failing RAM, replace the DIMM' },
  '30min_ram_swapped_out': { file: 'swap.conf', on: 'system.swapio', rule: swapLargestSwapper, evidence: 'chart, /proc/meminfo, processes by VmSwap', proposals: `the process with most swap: ${PROC_ACTION}` },
  used_swap: { file: 'swap.conf', on: 'system.swap', rule: swapLargestSwapper, evidence: 'chart, /proc/meminfo, processes by VmSwap', proposals: `the process with most swap: ${PROC_ACTION}; swap full while half the RAM is free: notify only (old pages, no pressure)` },
  disk_space_usage: { file: 'disks.conf', on: 'disk.space', rule: diskSpaceCleanup, evidence: 'chart, mounts (space, inodes), cleanup roots: old files, largest directories', proposals: 'cleanup_disk of the cleanup root with the most bytes older than olderThanDays; none old: notify (fresh files are never deleted)' },
  out_of_disk_space_time: { file: 'disks.conf (Netdata ≥ 1.38)', on: 'disk.space', rule: diskSpaceCleanup, evidence: 'as disk_space_usage', proposals: 'as disk_space_usage' },
  disk_inode_usage: { file: 'disks.conf', on: 'disk.inodes', rule: inodeBusiestDirectory, evidence: 'chart, mounts, directories with the most files under the cleanup roots', proposals: 'cleanup_disk of the directory with the most files when it holds old files; only fresh files: notify' },
  '10min_disk_utilization': { file: 'disks.conf', on: 'disk.util', rule: diskIoSaturated, evidence: 'chart, mounts, busiest processes', proposals: 'notify only: the writer is not known from CPU time, and killing it risks its data' },
  '10min_disk_backlog': { file: 'disks.conf', on: 'disk.backlog', rule: diskIoSaturated, evidence: 'chart, mounts, busiest processes', proposals: 'notify only: the writer is not known from CPU time, and killing it risks its data' },
  systemd_service_unit_failed_state: { file: 'systemdunits.conf', on: 'systemd.service_unit_state', rule: systemdServiceFailed, evidence: 'unit from the chart id (unit_<name>_service_state), `systemctl show` (LoadState, ActiveState, Result, NRestarts), its journal', proposals: 'restart_service of that unit when systemd says failed and the unit may be restarted (never a protected one: then notify); recovered: log_analysis' },
  systemd_socket_unit_failed_state: unit('socket'),
  systemd_target_unit_failed_state: unit('target'),
  systemd_path_unit_failed_state: unit('path'),
  systemd_device_unit_failed_state: unit('device'),
  systemd_mount_unit_failed_state: unit('mount'),
  systemd_automount_unit_failed_state: unit('automount'),
  systemd_swap_unit_failed_state: unit('swap'),
  systemd_scope_unit_failed_state: unit('scope'),
  systemd_slice_unit_failed_state: unit('slice'),
  interface_speed: helper('net.conf', 'net.net'),
  '1m_received_traffic_overflow': net('net.conf', 'net.net'),
  '1m_sent_traffic_overflow': net('net.conf', 'net.net'),
  inbound_packets_dropped: helper('net.conf', 'net.drops'),
  outbound_packets_dropped: helper('net.conf', 'net.drops'),
  inbound_packets_dropped_ratio: net('net.conf', 'net.packets'),
  outbound_packets_dropped_ratio: net('net.conf', 'net.packets'),
  wifi_inbound_packets_dropped_ratio: net('net.conf', 'net.packets'),
  wifi_outbound_packets_dropped_ratio: net('net.conf', 'net.packets'),
  interface_inbound_errors: net('net.conf', 'net.errors'),
  interface_outbound_errors: net('net.conf', 'net.errors'),
  '10min_fifo_errors': net('net.conf', 'net.fifo'),
  '1m_received_packets_rate': helper('net.conf', 'net.packets'),
  '10s_received_packets_storm': net('net.conf', 'net.packets'),
  '1min_netdev_backlog_exceeded': net('softnet.conf', 'system.softnet_stat'),
  '1min_netdev_budget_ran_outs': net('softnet.conf', 'system.softnet_stat'),
  '10min_netisr_backlog_exceeded': net('softnet.conf', 'system.softnet_stat'),
  '1m_ipv4_udp_receive_buffer_errors': net('udp_errors.conf', 'ipv4.udperrors'),
  '1m_ipv4_udp_send_buffer_errors': net('udp_errors.conf', 'ipv4.udperrors'),
  netfilter_conntrack_full: net('netfilter.conf', 'netfilter.conntrack_sockets'),
  tcp_connections: tcp('tcp_conn.conf', 'ipv4.tcpsock'),
  '1m_tcp_accept_queue_overflows': tcp('tcp_listen.conf', 'ip.tcp_accept_queue'),
  '1m_tcp_accept_queue_drops': tcp('tcp_listen.conf', 'ip.tcp_accept_queue'),
  '1m_tcp_syn_queue_drops': tcp('tcp_listen.conf', 'ip.tcp_syn_queue'),
  '1m_tcp_syn_queue_cookies': tcp('tcp_listen.conf', 'ip.tcp_syn_queue'),
  tcp_memory: tcp('tcp_mem.conf', 'ipv4.sockstat_tcp_mem'),
  tcp_orphans: tcp('tcp_orphans.conf', 'ipv4.sockstat_tcp_sockets'),
  '1m_ipv4_tcp_resets_sent': helper('tcp_resets.conf', 'ipv4.tcphandshake'),
  '10s_ipv4_tcp_resets_sent': tcp('tcp_resets.conf', 'ipv4.tcphandshake'),
  '1m_ipv4_tcp_resets_received': helper('tcp_resets.conf', 'ipv4.tcphandshake'),
  '10s_ipv4_tcp_resets_received': tcp('tcp_resets.conf', 'ipv4.tcphandshake'),
  active_processes: { file: 'processes.conf', on: 'system.active_processes', rule: pidsForkingParent, evidence: 'chart, process count, the parents with the most children', proposals: `a parent of ≥ 1/4 of all processes: ${PROC_ACTION}; else notify` },
  lowest_entropy: { file: 'entropy.conf', on: 'system.entropy', rule: entropyLow, evidence: 'chart', proposals: 'notify only: the fix is an entropy source (a package), not an action' },
  system_clock_sync_state: { file: 'timex.conf', on: 'system.clock_sync_state', rule: clockUnsynced, evidence: 'chart', proposals: 'notify only: the time daemon differs per machine, and systemd-timesyncd is never restarted (a systemd service)' },
};

/** The health.d files of the host families: every alarm and template in them is in STOCK_ALARMS. */
export const HOST_HEALTH_FILES = [
  'cpu.conf', 'load.conf', 'ram.conf', 'memory.conf', 'swap.conf', 'disks.conf', 'systemdunits.conf', 'net.conf', 'softnet.conf',
  'udp_errors.conf', 'netfilter.conf', 'tcp_conn.conf', 'tcp_listen.conf', 'tcp_mem.conf', 'tcp_orphans.conf', 'tcp_resets.conf',
  'processes.conf', 'entropy.conf', 'timex.conf',
] as const;

export { fallback };
