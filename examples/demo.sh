#!/bin/sh
# The demo, no cluster needed: simulated vLLM pods publish on loopback exactly as vLLM does,
# `tail` shows their events (history replayed from each pod's buffer), and `cache-probe`
# rebuilds the prefix index from those streams and shows which pod holds how much of three prompts.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/kubectl-kvevents/target/kubectl-kvevents
[ -x "$bin" ] || { echo "error: $bin is missing: run 'mvn -B -q -DskipTests package' first" >&2; exit 1; }
work=$(mktemp -d)
sim=
cleanup() {
  if [ -n "$sim" ]; then
    kill "$sim" 2>/dev/null || true
    wait "$sim" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$bin" simulate --trace "$top/examples/traces/mooncake-conversation-trace.jsonl" --pods 3 --requests 60 \
  --policy prefix --serve --duration 120s --endpoints-file "$work/endpoints" --prompts-file "$work/prompts" \
  >/dev/null 2>"$work/simulate.log" &
sim=$!
i=0
until [ -s "$work/prompts" ]; do
  i=$((i + 1))
  if [ $i -gt 600 ] || ! kill -0 "$sim" 2>/dev/null; then
    echo "error: the simulated pods did not start:" >&2
    cat "$work/simulate.log" >&2
    exit 1
  fi
  sleep 0.1
done
set --
while read -r endpoint; do set -- "$@" --endpoint "$endpoint"; done < "$work/endpoints"

echo "\$ kubectl kvevents tail $* --max-events 6"
"$bin" tail "$@" --max-events 6 --timeout 30s
echo
echo "\$ kubectl kvevents cache-probe $* --tokens-file prompts.txt   # the last 3 requests served"
"$bin" cache-probe "$@" --tokens-file "$work/prompts" --settle 2s
