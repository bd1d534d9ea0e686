#!/usr/bin/env bash
# The test image, shared by the engine tests (support/image.rs) and the benchmark (bench/run.sh):
# a root filesystem holding Debian's static busybox (package `busybox-static`) with its applets
# linked into /bin, imported into the engine with `docker import` (no registry needed). The tag is
# the hash of the busybox binary and of this script, so a changed recipe makes a new image.
# Prints the tag on stdout; builds the image only when that tag is missing.
set -euo pipefail

busybox=${BUSYBOX:-/bin/busybox}
if [ ! -x "$busybox" ]; then
  echo "$busybox is missing: install Debian's \`busybox-static\`" >&2
  exit 1
fi
tag="dockrun-test-busybox:$(cat "$busybox" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)"
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,tmp,etc,proc,sys,dev,data,root}
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - "$tag" >/dev/null
echo "$tag"
