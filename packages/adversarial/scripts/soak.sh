#!/bin/sh
# The full soak: 10 000 concurrent secured connections through one sim server, the server in its
# own process (each process holds one end of every connection, so each needs ~10 000 descriptors).
# Raise the descriptor limit as far as the machine allows, then run. Needs `pnpm build` first.
set -e
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "file descriptor limit: $(ulimit -n)"
export SOAK_FD_LIMIT="$(ulimit -n)"
exec node --expose-gc scripts/run-soak.mjs "$@"
