#!/usr/bin/env bash
# Installs the real peers the test suite runs against, from Debian, when they are missing:
# Netdata (alarms), Prometheus Alertmanager (webhook source + benchmark peer), Prometheus (the API v2 receiver's
# sender), Chromium (dashboard tests). Debian's packages start no service here (policy-rc.d denies it).
set -euo pipefail
need=()
{ command -v netdata >/dev/null 2>&1 || [ -x /usr/sbin/netdata ]; } || need+=(netdata)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies present: netdata, prometheus-alertmanager, prometheus, chromium, curl"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Where systemd runs, Debian's prometheus package enables and starts a system instance on :9090: the tests start their
# own on random ports, so none is left running.
if [[ " ${need[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
