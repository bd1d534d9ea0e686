#!/usr/bin/env bash
# dockrun's benchmark, in one run: builds the release binary as install.sh installs it (a static
# PIE on glibc) and cargo's default dynamic one, makes its own containers (unique names, labelled,
# all removed at the end, even on failure), and measures side by side:
#   no-op   container already running, `-d`: dockrun vs one `curl` inspect over the socket vs the
#           seed's script (bench/docker-run.sh: `docker ps -a | grep`, then `docker start`) vs
#           /bin/true (one process start, the floor), and the dynamic build for comparison
#   start   container stopped: dockrun vs `docker start`
#   create  no container: dockrun vs `docker run -d` (hyperfine --prepare removes it before each run)
#   storm   N different containers launched at once, N dockrun vs N `docker run -d` processes
#   and a no-op launch's peak RSS, its instruction count (callgrind), its API requests (strace),
#   and the release binary's size. Prints a Markdown table of medians and ratios (README shows one).
# Needs: cargo, docker, hyperfine, jq, curl, /usr/bin/time (Debian `time`), busybox-static; valgrind
# and strace are optional. Every group rotates its commands' order round by round (see rounds).
# Knobs: BENCH_RUNS (no-op runs per command, 40), BENCH_SLOW_RUNS (start/create, 16), BENCH_STORM
# (containers per storm, 50), BENCH_STORM_RUNS (4). Leaves the engine as it was.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-40}
slow_runs=${BENCH_SLOW_RUNS:-16}
storm=${BENCH_STORM:-50}
storm_runs=${BENCH_STORM_RUNS:-4}

need() { # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null 2>&1 || { echo "bench: \`$1\` is missing: install Debian's \`$2\`" >&2; exit 1; }
}
need hyperfine hyperfine
need docker docker.io
need curl curl
need jq jq
need /usr/bin/time time
docker info >/dev/null 2>&1 || { echo "bench: no Docker engine answers (\`docker info\`)" >&2; exit 1; }

echo "bench: building the release binary as install.sh installs it (static PIE on glibc)" >&2
bin=$(./install.sh --build-only 2>/dev/null)
echo "bench: building cargo's default (dynamic) release binary, for comparison" >&2
cargo build --release --locked --quiet
dyn_bin=$PWD/target/release/dockrun
image=$(bash tests/integration/support/image.sh)

run_id=dockrun-bench-$$
label=dockrun.bench=$run_id
out=$(mktemp -d)
cleanup() {
  docker ps -aq --filter "label=$label" | xargs -r docker rm -f -v >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT

# curl goes where dockrun goes: DOCKER_HOST, else the default socket.
host=${DOCKER_HOST:-unix:///var/run/docker.sock}
case $host in
unix://*) curl_base="curl -sf -o /dev/null --unix-socket ${host#unix://} http://x" ;;
tcp://*) curl_base="curl -sf -o /dev/null http://${host#tcp://}" ;;
*) echo "bench: cannot benchmark against DOCKER_HOST=$host" >&2; exit 1 ;;
esac

running=$run_id-running
stopped=$run_id-stopped
fresh=$run_id-create
args() { echo "-d --pull=never -l $label --name $1 $image sleep 100000"; }

echo "bench: setting up containers ($run_id, image $image)" >&2
"$bin" $(args "$running") >/dev/null 2>&1
"$bin" $(args "$stopped") >/dev/null 2>&1
docker stop -t 0 "$stopped" >/dev/null

hf() { # hf GROUP HYPERFINE-ARGS...: one hyperfine run, its times kept in $out/GROUP-*.json
  local group=$1
  shift
  hyperfine -N --style basic --export-json "$out/$group-$(date +%s%N).json" "$@" >&2
}

rounds() { # rounds GROUP ROUNDS RUNS PREPARE NAME CMD [NAME CMD]...: ROUNDS rounds of RUNS runs
  # of each command. The engine's speed drifts with the machine's load, and hyperfine runs all of
  # one command before the next, so the order rotates every round to spread that drift evenly.
  local group=$1 n=$2 runs_each=$3 prepare=$4
  shift 4
  local cmds=() k i j
  while [ $# -gt 0 ]; do cmds+=("-n" "$1" "$2"); shift 2; done
  k=$((${#cmds[@]} / 3))
  echo "bench: $group ($n rounds of $runs_each runs each)" >&2
  for i in $(seq 0 $((n - 1))); do
    local ordered=()
    for j in $(seq 0 $((k - 1))); do
      local at=$(((i + j) % k * 3))
      ordered+=("${cmds[@]:$at:3}")
    done
    hf "$group" -r "$runs_each" ${prepare:+-p "$prepare"} "${ordered[@]}"
  done
}

# Warm the caches (binary, CLI, engine) once, unmeasured.
hyperfine -N -w 3 -r 2 "$bin $(args "$running")" "$dyn_bin $(args "$running")" \
  "bench/docker-run.sh $(args "$running")" >/dev/null 2>&1
rounds noop 8 $(((runs + 7) / 8)) "" \
  dockrun "$bin $(args "$running")" \
  dynamic "$dyn_bin $(args "$running")" \
  curl "$curl_base/v1.41/containers/$running/json" \
  seed "bench/docker-run.sh $(args "$running")" \
  true /bin/true

rounds start "$slow_runs" 1 "docker stop -t 0 $stopped" \
  dockrun "$bin $(args "$stopped")" \
  docker "docker start $stopped"

rounds create "$slow_runs" 1 "docker rm -f -v $fresh" \
  dockrun "$bin $(args "$fresh")" \
  docker "docker run $(args "$fresh")"

export DOCKRUN=$bin
rounds storm "$storm_runs" 1 "bench/storm.sh clean $run_id-storm $storm" \
  dockrun "bench/storm.sh launch $run_id-storm $storm dockrun $image $label" \
  docker "bench/storm.sh launch $run_id-storm $storm docker $image $label"
bench/storm.sh clean "$run_id-storm" "$storm"

echo "bench: peak RSS, instructions and requests of a no-op launch" >&2
rss_kib=$(for _ in 1 2 3 4 5 6 7; do
  /usr/bin/time -f %M "$bin" $(args "$running") 2>&1 >/dev/null | tail -n1
done | sort -n | sed -n 4p)
instructions=
if command -v valgrind >/dev/null 2>&1; then
  instructions=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" $(args "$running") 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
fi
requests=
if command -v strace >/dev/null 2>&1; then
  # Every request bollard writes starts with its request line; count those on the wire.
  requests=$(strace -f -e trace=sendto,sendmsg,write,writev -s 512 "$bin" $(args "$running") 2>&1 >/dev/null |
    grep -c ' HTTP/1.1\\r\\n' || true)
fi
size=$(stat -c %s "$bin")
dyn_size=$(stat -c %s "$dyn_bin")

# --- the table ---------------------------------------------------------------------------------
median() { # median GROUP NAME → seconds: the median of every run of NAME in GROUP's files
  jq -s --arg n "$2" '[.[].results[] | select(.command == $n) | .times[]] | sort
    | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end' \
    "$out/$1"-*.json
}
ms() { awk -v s="$1" 'BEGIN { printf "%.2f ms", s * 1000 }'; }
secs() { awk -v s="$1" 'BEGIN { printf "%.2f s", s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { # verdict VALUE OP LIMIT
  awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? v <= l : v >= l; print ok ? "yes" : "**no**" }'
}

noop=$(median noop dockrun) curl_t=$(median noop curl) seed=$(median noop seed) true_t=$(median noop true)
noop_dyn=$(median noop dynamic)
start=$(median start dockrun) docker_start=$(median start docker)
create=$(median create dockrun) docker_run=$(median create docker)
storm_d=$(median storm dockrun) storm_docker=$(median storm docker)

r_curl=$(ratio "$noop" "$curl_t")
r_seed=$(ratio "$seed" "$noop")
r_true=$(ratio "$noop" "$true_t")
r_dyn=$(ratio "$noop_dyn" "$curl_t")
r_start=$(ratio "$start" "$docker_start")
r_create=$(ratio "$create" "$docker_run")
r_storm=$(ratio "$storm_d" "$storm_docker")
rss_mib=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')

cat <<EOF

dockrun $(git describe --always --dirty 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d), engine $(docker version --format '{{.Server.Version}}'), $(nproc) CPUs; medians of hyperfine runs

| what | dockrun | compared with | its median | ratio | goal | met |
|---|---|---|---|---|---|---|
| no-op (running, \`-d\`) | $(ms "$noop") | one \`curl\` inspect | $(ms "$curl_t") | ${r_curl}× | ≤ 0.3× | $(verdict "$r_curl" "<=" 0.3) |
| no-op (running, \`-d\`) | $(ms "$noop") | seed's script | $(ms "$seed") | ${r_seed}× faster | ≥ 15× | $(verdict "$r_seed" ">=" 15) |
| no-op (running, \`-d\`) | $(ms "$noop") | \`/bin/true\` | $(ms "$true_t") | ${r_true}× | floor | |
| no-op, dynamic build (\`cargo install\`) | $(ms "$noop_dyn") | one \`curl\` inspect | $(ms "$curl_t") | ${r_dyn}× | reported | |
| start (stopped) | $(ms "$start") | \`docker start\` | $(ms "$docker_start") | ${r_start}× | ≤ 1× | $(verdict "$r_start" "<=" 1) |
| create (absent) | $(ms "$create") | \`docker run -d\` | $(ms "$docker_run") | ${r_create}× | ≤ 1× | $(verdict "$r_create" "<=" 1) |
| boot storm, $storm at once | $(secs "$storm_d") | $storm \`docker run -d\` | $(secs "$storm_docker") | ${r_storm}× | ≤ 1× | $(verdict "$r_storm" "<=" 1) |
| peak RSS, no-op | ${rss_mib} MiB | | | | ≤ 8 MiB | $(verdict "$rss_mib" "<=" 8) |
| instructions, no-op (callgrind) | ${instructions:-n/a} | | | | | |
| API requests, no-op (strace) | ${requests:-n/a} | | | | 1 | ${requests:+$(verdict "$requests" "<=" 1)} |
| release binary (static PIE; dynamic) | $(awk -v b="$size" -v d="$dyn_size" 'BEGIN { printf "%.2f MiB; %.2f MiB", b / 1048576, d / 1048576 }') | | | | reported | |
EOF
