#!/usr/bin/env bash
# Build (once per machine) the image the systemd tests boot: a Debian bookworm root made by
# debootstrap with systemd as PID 1 and dbus, imported with `docker import`. The tag is the hash
# of this script, i.e. of everything that goes into the image, so a changed recipe makes a new
# image and an unchanged one is reused. Prints the tag on stdout; progress goes to stderr.
#
# Usage: build-image.sh            (needs root for debootstrap, and a Docker engine)
# Env:   DOCKRUN_DEBIAN_MIRROR     the Debian mirror (default: the one in the machine's apt
#                                  sources, else http://deb.debian.org/debian)
set -euo pipefail

suite=bookworm
packages=systemd,systemd-sysv,dbus
recipe=$(sha256sum "$0" | cut -c1-16)
tag="dockrun-test-systemd:$recipe"

log() { printf 'build-image: %s\n' "$*" >&2; }

# Several test binaries may ask at once: one builds, the others wait and reuse.
exec 9>"${TMPDIR:-/tmp}/dockrun-systemd-image.lock"
flock 9
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

mirror=${DOCKRUN_DEBIAN_MIRROR:-$(grep -rhoE 'https?://[^ ]*/debian/?( |$)' \
  /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -n1 | tr -d ' ' || true)}
mirror=${mirror:-http://deb.debian.org/debian}

root=$(mktemp -d "${TMPDIR:-/tmp}/dockrun-systemd-root.XXXXXX")
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

# A container, not a machine: no consoles to log in on, no hardware to probe, a fresh machine-id
# per boot, and nothing cached that the tests do not need.
echo dockrun-systemd >"$root/etc/hostname"
: >"$root/etc/machine-id"
for unit in getty.target console-getty.service systemd-udevd.service systemd-udev-trigger.service \
            systemd-firstboot.service systemd-modules-load.service sys-kernel-config.mount \
            sys-kernel-debug.mount sys-kernel-tracing.mount systemd-remount-fs.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
# The engine is the host's, reached through the socket the tests mount in; units that
# `Requires=docker.service` (as the examples do) get this stand-in, active once it answers.
cat >"$root/etc/systemd/system/docker.service" <<'UNIT'
[Unit]
Description=The host's Docker engine, reached through /var/run/docker.sock

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/bin/docker version
UNIT
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

log "docker import as $tag"
tar -C "$root" -c . | docker import \
  -c 'ENTRYPOINT ["/lib/systemd/systemd"]' \
  -c 'ENV container=docker' \
  - "$tag" >/dev/null
log "built $tag in $(( $(date +%s) - start ))s"
echo "$tag"
