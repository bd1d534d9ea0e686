#!/usr/bin/env bash
# Build (once per machine) the image of the second engine the differential tests run against:
# Debian trixie's `docker.io` (Docker 26.1, API 1.45) in a Debian root made by debootstrap,
# imported with `docker import`: tests/debootstrap.sh does the common part and
# tags the image by the hash of this script and itself (everything that goes into the image).
# Prints the tag on stdout; progress on stderr. tests/integration/support/engine2.rs starts it.
#
# Usage: build-image.sh            (needs root for debootstrap, and a Docker engine)
# Env:   DOCKRUN_DEBIAN_MIRROR     the Debian mirror (see tests/debootstrap.sh)
set -euo pipefail
# shellcheck source=../debootstrap.sh
source "$(dirname "$0")/../debootstrap.sh"

image_begin engine2
image_debootstrap trixie docker.io,ca-certificates,iptables

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

image_import \
  -c 'ENTRYPOINT ["/usr/local/sbin/dockrun-engine2"]' \
  -c 'VOLUME /var/lib/docker'
