#!/usr/bin/env bash
# The boot storm: launch N different containers at once, one process each, and wait for all.
#   storm.sh launch dockrun|docker PREFIX N IMAGE LABEL   exit 0 only if every launch succeeded
#   storm.sh clean PREFIX N                               remove PREFIX-1 … PREFIX-N
# bench/run.sh times `launch` with hyperfine and runs `clean` before each timing.
set -uo pipefail

mode=$1 prefix=$2 n=$3
case $mode in
clean)
  names=()
  for i in $(seq 1 "$n"); do names+=("$prefix-$i"); done
  docker rm -f -v "${names[@]}" >/dev/null 2>&1
  exit 0
  ;;
launch) ;;
*) echo "storm.sh: unknown mode $mode" >&2; exit 2 ;;
esac

tool=$4 image=$5 label=$6
case $tool in
dockrun) launcher=("${DOCKRUN:?DOCKRUN must name the dockrun binary}") ;;
docker) launcher=(docker run) ;;
*) echo "storm.sh: unknown launcher $tool" >&2; exit 2 ;;
esac

pids=()
for i in $(seq 1 "$n"); do
  "${launcher[@]}" -d --pull=never -l "$label" --name "$prefix-$i" "$image" sleep 100000 \
    >/dev/null 2>>"${STORM_LOG:-/dev/null}" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
if [ "$failed" -ne 0 ]; then
  echo "storm.sh: $failed of $n $tool launches failed" >&2
  exit 1
fi
