#!/bin/sh
# migrate-to-kv-events.sh: the migration guide's script interface, as a thin wrapper over
# `kubectl kvevents enable`, which does every step the guide lists (pre-flight checks, a 0600 backup,
# the Deployment, its Services and the gateway, waiting for the rollouts, verifying that a pod
# publishes) and rolls back what it applied when a later step fails (exit 3).
#
#   migrate-to-kv-events.sh [--dry-run] [--tokenizer URL] [--skip-verify] NAMESPACE DEPLOYMENT
#
# KVEVENTS selects the plugin binary; by default `kubectl kvevents` when kubectl finds the plugin,
# else the launcher built in this checkout. Extra flags for enable go in KVEVENTS_ENABLE_FLAGS.
set -eu

usage() {
  echo "usage: $(basename "$0") [--dry-run] [--tokenizer URL] [--skip-verify] NAMESPACE DEPLOYMENT" >&2
  exit 2
}

dry_run=
tokenizer=
skip_verify=
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=--dry-run=client ;;
    --tokenizer)
      [ $# -ge 2 ] || usage
      tokenizer=$2
      shift ;;
    --tokenizer=*) tokenizer=${1#--tokenizer=} ;;
    --skip-verify) skip_verify=--skip-verify ;;
    -h|--help) usage ;;
    -*) echo "error: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
  shift
done
[ $# -eq 2 ] || usage
namespace=$1
deployment=$2

if [ -n "${KVEVENTS:-}" ]; then
  set -- "$KVEVENTS"
elif command -v kubectl >/dev/null 2>&1 && kubectl plugin list 2>/dev/null | grep -q '/kubectl-kvevents$'; then
  set -- kubectl kvevents
else
  here=$(cd "$(dirname "$0")" && pwd)
  set -- "$here/../kubectl-kvevents/target/kubectl-kvevents"
fi

# Without --dry-run the guide's script waits for the rollouts and runs its verification tests: --wait.
wait=--wait
[ -n "$dry_run" ] && wait=

# shellcheck disable=SC2086 # the optional flags are single words or empty
exec "$@" enable "$deployment" -n "$namespace" $dry_run $wait $skip_verify \
  ${tokenizer:+--tokenizer "$tokenizer"} ${KVEVENTS_ENABLE_FLAGS:-}
