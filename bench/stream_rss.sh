#!/usr/bin/env bash
# Peak RSS of dockrun while it streams container output in the foreground: the container writes
# SIZE (default 1G) of zeros to stdout, dockrun copies it to its own stdout (here /dev/null, so the
# reader is never the bottleneck), and GNU time reports dockrun's maximum resident set size.
# A flat figure, whatever SIZE is, shows that output is streamed chunk by chunk, never buffered.
#
#   bench/stream_rss.sh [IMAGE]       (DOCKRUN=path/to/dockrun, SIZES="64M 1G", RUNS=3)
#
# IMAGE needs `head` (default: the integration tests' busybox image, built by `cargo test`).
set -euo pipefail
cd "$(dirname "$0")/.."

dockrun=${DOCKRUN:-target/release/dockrun}
[ -x "$dockrun" ] || dockrun=target/debug/dockrun
[ -x "$dockrun" ] || { echo "build dockrun first (cargo build --release)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (Debian package \`time\`)" >&2; exit 1; }
image=${1:-$(docker images --format '{{.Repository}}:{{.Tag}}' | grep -m1 '^dockrun-test-busybox:' || true)}
[ -n "$image" ] || { echo "no image: give one with head(1), or run cargo test once" >&2; exit 1; }
sizes=${SIZES:-"64M 1G"}
runs=${RUNS:-3}
name="dockrun-bench-stream-$$"
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT

echo "dockrun: $dockrun ($(stat -c %s "$dockrun") bytes); image: $image"
printf '%-6s %-4s %12s %10s %12s\n' size run peak_rss_kib seconds MiB_per_s
for size in $sizes; do
  bytes=$(numfmt --from=iec "$size")
  for run in $(seq 1 "$runs"); do
    log=$(mktemp)
    start=$(date +%s.%N)
    DOCKRUN_LOG=warn /usr/bin/time -v -o "$log" \
      "$dockrun" --rm --pull=never --name "$name" "$image" head -c "$bytes" /dev/zero >/dev/null
    end=$(date +%s.%N)
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    rm -f "$log"
    secs=$(echo "$end - $start" | bc -l)
    printf '%-6s %-4s %12s %10.2f %12.1f\n' "$size" "$run" "$rss" "$secs" "$(echo "$bytes / 1048576 / $secs" | bc -l)"
  done
done
