/** What the unit runs and as whom. */
export interface UnitSettings {
  /** absolute path of node */
  node: string;
  /** absolute path of the installed program (the npm bin's target) */
  program: string;
  user: string;
  configFile: string;
  dataDir: string;
}

/**
 * The systemd unit of an installed opsagent, with the hardening of contrib/systemd/opsagent.service (the unit of a
 * source checkout in /opt). Named opsagent.service: the own-process rule recognises the daemon by that cgroup.
 */
export function systemdUnit(s: UnitSettings): string {
  return `# OpsAgent daemon, written by \`opsagent install-service\`. Then:
#   sudo systemctl daemon-reload && sudo systemctl enable --now opsagent
# Secrets (OPSAGENT_API_TOKEN, DISCORD_WEBHOOK_URL, MOONSHOT_API_KEY, ...) go in /etc/opsagent/opsagent.env (mode 0600).
[Unit]
Description=OpsAgent - one tracked issue per alert, gated remediation
After=network-online.target netdata.service
Wants=network-online.target

[Service]
Type=simple
User=${s.user}
Group=${s.user}
WorkingDirectory=${s.dataDir}
Environment=NODE_ENV=production
# Stack traces in the journal point into src/ (dist/bin/*.map); it costs ~30 ms at start, once.
Environment=NODE_OPTIONS=--enable-source-maps
Environment=OPSAGENT_HOME=${s.dataDir}
EnvironmentFile=-/etc/opsagent/opsagent.env
ExecStart=${s.node} ${s.program} run --config ${s.configFile}
# SIGTERM: stop accepting, finish in-flight commits, exit 0 (the daemon gives itself 10 s)
KillSignal=SIGTERM
TimeoutStopSec=15
Restart=on-failure
RestartSec=5
StateDirectory=opsagent
StateDirectoryMode=0750
# Remediation actions (restart_service, kill_process, clear_cache) need more rights than this sandbox gives;
# relax these only for the actions you enable in the config.
NoNewPrivileges=true
ProtectSystem=full
ProtectHome=read-only
PrivateTmp=false
MemoryMax=256M

[Install]
WantedBy=multi-user.target
`;
}
