#!/usr/bin/env bash
# Build (once per machine) the image the systemd tests boot: a Debian bookworm root made by
# debootstrap with systemd as PID 1 and dbus, imported with `docker import`:
# tests/debootstrap.sh does the common part and tags the image by the hash of this script and
# itself (everything that goes into the image). Prints the tag on stdout; progress on stderr.
#
# Usage: build-image.sh            (needs root for debootstrap, and a Docker engine)
# Env:   DOCKRUN_DEBIAN_MIRROR     the Debian mirror (see tests/debootstrap.sh)
set -euo pipefail
# shellcheck source=../debootstrap.sh
source "$(dirname "$0")/../debootstrap.sh"

image_begin systemd
image_debootstrap bookworm systemd,systemd-sysv,dbus

# A container, not a machine: no consoles to log in on, no hardware to probe, a fresh machine-id
# per boot (and image_import drops apt's caches).
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

image_import \
  -c 'ENTRYPOINT ["/lib/systemd/systemd"]' \
  -c 'ENV container=docker'
