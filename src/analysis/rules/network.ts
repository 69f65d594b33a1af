import { chartInstance, notifyOnly } from './evidence.js';
import type { AlarmRule } from './rule.js';

/** net.conf, softnet.conf, udp_errors.conf, netfilter.conf: the interface or kernel queue, and what to look at. */
export const networkInterface: AlarmRule = {
  id: 'network-interface',
  needs: [],
  analyse: (ctx) => {
    const iface = chartInstance(ctx.alert.chart);
    const name = ctx.alert.name;
    const advice = /fifo|error/.test(name)
      ? 'Check the cable, the NIC and the driver (`ethtool -S`, `ip -s link`)'
      : /dropped|storm|packets_rate/.test(name)
        ? 'Packets are dropped or flood in: check `ip -s link`, the ring buffers (`ethtool -g`) and who sends the traffic'
        : /overflow/.test(name)
          ? 'The link is saturated: find the traffic with `iftop`/`nethogs`, or raise the link speed'
          : /netdev|netisr/.test(name)
            ? 'The kernel drops packets before processing them: raise net.core.netdev_max_backlog / netdev_budget (sysctl)'
            : /udp/.test(name)
              ? 'UDP socket buffers overflow: raise net.core.rmem_max/wmem_max or find the slow reader'
              : /conntrack/.test(name)
                ? 'The connection-tracking table is full: new connections are dropped; raise net.netfilter.nf_conntrack_max or find the connection flood'
                : 'Check the interface with `ip -s link`';
    return notifyOnly(ctx, `Network problem on ${iface ?? ctx.alert.chart}`, `${advice}; no catalog action changes the network safely`);
  },
};

/** tcp_*.conf: socket tables, queues and resets. A tuning or application matter, never an automatic action. */
export const tcpStack: AlarmRule = {
  id: 'tcp-stack',
  needs: [],
  analyse: (ctx) => {
    const name = ctx.alert.name;
    const advice = /accept_queue/.test(name)
      ? 'A listening application does not accept connections fast enough: find it with `ss -ltn` (Recv-Q) and check its load'
      : /syn_queue/.test(name)
        ? 'The SYN queue is full: a connection flood or a slow listener; check `ss -s`, raise net.ipv4.tcp_max_syn_backlog'
        : /resets/.test(name)
          ? 'Many TCP resets: connections to closed ports (a scan, a crashed service) or a peer aborting; check `ss -s` and the listening services'
          : /orphans|memory/.test(name)
            ? 'TCP memory or orphan sockets near the limit: find the connection holder with `ss -tanp`, raise net.ipv4.tcp_mem/tcp_max_orphans'
            : 'TCP connections near the limit: find the holder with `ss -tanp`, raise the limit (net.ipv4.ip_local_port_range, fs.file-max)';
    return notifyOnly(ctx, 'TCP stack under pressure', advice);
  },
};

/** lowest_entropy: the random pool runs low, which stalls TLS and key generation. */
export const entropyLow: AlarmRule = {
  id: 'entropy-low',
  needs: [],
  analyse: (ctx) => notifyOnly(ctx, 'The kernel entropy pool is low', 'Install an entropy source (rng-tools with a hardware RNG, or haveged on old kernels); no process needs killing'),
};

/** system_clock_sync_state: the clock is not synchronised. The time daemon differs per machine (chrony, ntpd, timesyncd). */
export const clockUnsynced: AlarmRule = {
  id: 'clock-unsynced',
  needs: [],
  analyse: (ctx) => notifyOnly(ctx, 'The system clock is not synchronised', 'Check `timedatectl` and the time daemon (chronyc tracking / ntpq -p); systemd-timesyncd is a systemd service the agent never restarts'),
};

/** Helper alarms that compute a value for others and have no warn/crit line: they never raise on their own. */
export const helperAlarm: AlarmRule = {
  id: 'helper-alarm',
  needs: [],
  analyse: (ctx) => notifyOnly(ctx, 'A Netdata helper alarm changed state', 'This alarm only computes a value for other alarms; look at the alarms that use it'),
};
