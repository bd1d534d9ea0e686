#!/usr/bin/env bash
# CI smoke test: launch a container, launch it again (no-op), stop it, launch again (restart),
# and check that it is the same container every time. Usage: ci-smoke.sh IMAGE [DOCKRUN]
set -euo pipefail
image=${1:?usage: ci-smoke.sh IMAGE [DOCKRUN]}
dockrun=${2:-dockrun}
name="dockrun-smoke-$$"
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT

first=$("$dockrun" -d --name "$name" "$image" sleep 600)
second=$("$dockrun" -d --name "$name" "$image" sleep 600)
[ "$first" = "$second" ] || { echo "re-launch made a new container: $first vs $second" >&2; exit 1; }
docker stop -t 0 "$name" >/dev/null
third=$("$dockrun" -d --name "$name" "$image" sleep 600)
[ "$first" = "$third" ] || { echo "launch after stop made a new container" >&2; exit 1; }
[ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] || { echo "not running" >&2; exit 1; }
echo "smoke: ok ($first)"
