#!/usr/bin/env bash
# Build (once per machine) the image of the second engine the differential tests run against:
# Debian trixie's `docker.io` (Docker 26.1, API 1.45) in a Debian root made by debootstrap,
# imported with `docker import`. The tag is the hash of this script (everything that goes into
# the image), so a changed recipe makes a new image and an unchanged one is reused. Prints the
# tag on stdout; progress goes to stderr. tests/integration/support/engine2.rs starts it.
#
# Usage: build-image.sh            (needs root for debootstrap, and a Docker engine)
# Env:   DOCKRUN_DEBIAN_MIRROR     the Debian mirror (default: the one in the machine's apt
#                                  sources, else http://deb.debian.org/debian)
set -euo pipefail

suite=trixie
packages=docker.io,ca-certificates,iptables
recipe=$(sha256sum "$0" | cut -c1-16)
tag="dockrun-test-engine2:$recipe"

log() { printf 'engine2 build-image: %s\n' "$*" >&2; }

# Several test binaries may ask at once: one builds, the others wait and reuse.
exec 9>"${TMPDIR:-/tmp}/dockrun-engine2-image.lock"
flock 9
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

mirror=${DOCKRUN_DEBIAN_MIRROR:-$(grep -rhoE 'https?://[^ ]*/debian/?( |$)' \
  /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -n1 | tr -d ' ' || true)}
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d "${TMPDIR:-/tmp}/dockrun-engine2-root.XXXXXX")
trap 'rm -rf "$root"' EXIT
start=$(date +%s)
log "debootstrap $suite from $mirror into $root (packages: $packages)"
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" \
     >"$root.log" 2>&1; then
  tail -n 30 "$root.log" >&2
  log "debootstrap failed; its log: $root.log"
  exit 1
fi
rm -f "$root.log"

# The container is not privileged (this host refuses --privileged): the engine gets every
# capability but SYS_RESOURCE, and /sys and the cgroup hierarchies are mounted read-only by the
# outer engine, so they are remounted read-write before dockerd starts. The socket goes into
# /engine, a directory bind-mounted from the host; the data root is a volume (vfs on ext4).
cat >"$root/usr/local/sbin/dockrun-engine2" <<'ENTRY'
#!/bin/sh
set -eu
mount -o remount,rw /sys
# Each hierarchy is a bind of the outer engine's: remount the bind, not the superblock.
awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts |
  while read -r m; do mount -o remount,rw,bind "$m"; done
rm -f /engine/docker.sock
exec dockerd --storage-driver vfs --host unix:///engine/docker.sock \
  --data-root /var/lib/docker --exec-root /run/docker-exec "$@"
ENTRY
chmod 755 "$root/usr/local/sbin/dockrun-engine2"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

log "docker import as $tag"
tar -C "$root" -c . | docker import \
  -c 'ENTRYPOINT ["/usr/local/sbin/dockrun-engine2"]' \
  -c 'VOLUME /var/lib/docker' \
  - "$tag" >/dev/null
log "built $tag in $(( $(date +%s) - start ))s"
echo "$tag"
