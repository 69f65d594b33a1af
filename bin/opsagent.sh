#!/usr/bin/env bash
# Runs the opsagent CLI from any working directory (builds it first if needed).
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
if [ ! -f "$HERE/dist/bin/opsagent.js" ]; then
  (cd "$HERE" && npm run build --silent >&2)
fi
exec node "$HERE/dist/bin/opsagent.js" "$@"
