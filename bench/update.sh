#!/usr/bin/env bash
# The update run's benchmark (issue 16): N opted-in containers whose images are all current
# (`--auto-update=registry`, each its own repository in a registry on loopback), one
# `dockrun --update-images` over them beside `docker pull` of the same N tags (one after the
# other, as a script would), wall time by hyperfine (one run of each per round, the order
# swapped every round, since the engine's speed drifts with the machine's load), and the
# registry's requests per run counted from its access log. Prints a Markdown table of medians
# and the machine's load average.
# Needs: docker, docker-registry (Debian's), hyperfine, jq, busybox-static (the test image).
# Knobs: BENCH_UPDATE_N (containers, 20), BENCH_UPDATE_RUNS (runs per command, 10),
# BENCH_BIN (the dockrun to measure; default: cargo's release build). Leaves the engine as it was.
set -euo pipefail
cd "$(dirname "$0")/.."

n=${BENCH_UPDATE_N:-20}
runs=${BENCH_UPDATE_RUNS:-10}
for tool in docker docker-registry hyperfine jq; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench: \`$tool\` is missing" >&2; exit 1; }
done
if [ -z "${BENCH_BIN:-}" ]; then
  cargo build --release --locked --quiet
  BENCH_BIN=$PWD/target/release/dockrun
fi
image=$(bash tests/integration/support/image.sh)

run_id=dockrun-bench-update-$$
label=dockrun.bench=$run_id
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
registry=127.0.0.1:$port
refs=()
names=()
cleanup() {
  docker ps -aq --filter "label=$label" | xargs -r docker rm -f -v >/dev/null 2>&1 || true
  for ref in "${refs[@]}"; do docker rmi -f "$ref" >/dev/null 2>&1 || true; done
  [ -n "${registry_pid:-}" ] && kill "$registry_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

cat > "$dir/config.yml" <<CONFIG
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: $registry
CONFIG
docker-registry serve "$dir/config.yml" > "$dir/access.log" 2>/dev/null &
registry_pid=$!
for _ in $(seq 100); do curl -sf "http://$registry/v2/" >/dev/null && break; sleep 0.1; done

echo "bench: pushing $n tags and launching $n opted-in containers" >&2
for i in $(seq "$n"); do
  ref=$registry/$run_id-$i:1
  refs+=("$ref")
  docker tag "$image" "$ref"
  docker push -q "$ref" >/dev/null
  # As a deployment gets its images: by a pull, which keeps the manifest in the engine's
  # content store (a push does not), so a check needs only the tag's HEAD.
  docker pull -q "$ref" >/dev/null
  name=$run_id-$i
  names+=("$name")
  "$BENCH_BIN" -d --name "$name" -l "$label" --auto-update=registry --stop-timeout 1 "$ref" sleep 100000 >/dev/null
done

update_cmd="$BENCH_BIN --update-images ${names[*]}"
pull_cmd="for r in ${refs[*]}; do docker pull -q \$r >/dev/null; done"

# Requests of one run each, from the registry's access log.
count() { # count COMMAND
  local before after
  sleep 0.2; before=$(wc -l < "$dir/access.log")
  bash -c "$1" >/dev/null 2>&1
  sleep 0.5; after=$(wc -l < "$dir/access.log")
  sed -n "$((before + 1)),${after}p" "$dir/access.log" > "$dir/last.log"
  local all manifests blobs
  all=$((after - before))
  manifests=$(grep -c '/manifests/' "$dir/last.log" || true)
  blobs=$(grep -c '/blobs/' "$dir/last.log" || true)
  echo "$all $manifests $blobs"
}
read -r u_all u_manifests u_blobs < <(count "$update_cmd")
"$BENCH_BIN" --update-images --format json "${names[@]}" | jq -r .status | sort | uniq -c >&2
read -r p_all p_manifests p_blobs < <(count "$pull_cmd")

echo "bench: timing ($runs rounds, one run of each, the order swapped every round)" >&2
hyperfine -N --style none --warmup 1 --runs 1 "$update_cmd" "bash -c '$pull_cmd'" >/dev/null 2>&1
for i in $(seq "$runs"); do
  u=(-n "dockrun --update-images ($n)" "$update_cmd")
  p=(-n "docker pull ($n tags)" "bash -c '$pull_cmd'")
  if [ $((i % 2)) -eq 0 ]; then order=("${u[@]}" "${p[@]}"); else order=("${p[@]}" "${u[@]}"); fi
  hyperfine -N --style none --runs 1 --export-json "$dir/times-$i.json" "${order[@]}" >/dev/null
done
median() {
  jq -s --arg n "$1" '[.[].results[] | select(.command == $n) | .times[]] | sort
    | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end' \
    "$dir"/times-*.json
}
u_time=$(median "dockrun --update-images ($n)")
p_time=$(median "docker pull ($n tags)")
load=$(cut -d' ' -f1-3 /proc/loadavg)

printf '| what (%s current containers) | median wall time | registry requests | of them manifest | of them blob |\n' "$n"
printf '|---|---|---|---|---|\n'
printf '| `dockrun --update-images` | %.2f s | %s | %s | %s |\n' "$u_time" "$u_all" "$u_manifests" "$u_blobs"
printf '| `docker pull` of the %s tags | %.2f s | %s | %s | %s |\n' "$n" "$p_time" "$p_all" "$p_manifests" "$p_blobs"
printf '| ratio | %.2fx | | | |\n' "$(echo "$u_time / $p_time" | bc -l)"
printf '\n%s runs each; load average %s (1, 5, 15 min) at the end.\n' "$runs" "$load"
