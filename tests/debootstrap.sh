# Sourced by tests/systemd/build-image.sh and tests/engine2/build-image.sh: what the two machine
# images share. Each is a Debian root made by debootstrap, imported with `docker import`, built
# once per machine and tagged by the hash of its recipe: the sourcing script and this file, so a
# change to either makes a new image and an unchanged recipe reuses the one built. The tag goes
# to stdout; progress to stderr.
#
#   image_begin NAME                  the tag, dockrun-test-NAME:<recipe hash>; one build at a
#                                     time (a lock); already built: print the tag and exit 0
#   image_debootstrap SUITE PACKAGES  debootstrap SUITE with PACKAGES into $root (removed on exit)
#   image_import ARG...               drop apt's caches from $root, `docker import` it with ARGs
#                                     (`-c` changes), print the tag
#
# Needs root for debootstrap, and a Docker engine.
# Env: DOCKRUN_DEBIAN_MIRROR  the Debian mirror (default: the one in the machine's apt sources,
#                             else http://deb.debian.org/debian)

image_recipe_lib=${BASH_SOURCE[0]}

log() { printf '%s build-image: %s\n' "$image_name" "$*" >&2; }

image_begin() {
  image_name=$1
  tag="dockrun-test-$image_name:$(cat "$0" "$image_recipe_lib" | sha256sum | cut -c1-16)"
  # Several test binaries may ask at once: one builds, the others wait and reuse.
  exec 9>"${TMPDIR:-/tmp}/dockrun-$image_name-image.lock"
  flock 9
  if docker image inspect "$tag" >/dev/null 2>&1; then
    echo "$tag"
    exit 0
  fi
  image_start=$(date +%s)
}

image_debootstrap() {
  local suite=$1 packages=$2 mirror
  mirror=${DOCKRUN_DEBIAN_MIRROR:-$(grep -rhoE 'https?://[^ ]*/debian/?( |$)' \
    /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -n1 | tr -d ' ' || true)}
  mirror=${mirror:-http://deb.debian.org/debian}
  root=$(mktemp -d "${TMPDIR:-/tmp}/dockrun-$image_name-root.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  log "debootstrap $suite from $mirror into $root (packages: $packages)"
  if ! debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" \
       >"$root.log" 2>&1; then
    tail -n 30 "$root.log" >&2
    log "debootstrap failed; its log: $root.log"
    exit 1
  fi
  rm -f "$root.log"
}

image_import() {
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  log "docker import as $tag"
  tar -C "$root" -c . | docker import "$@" - "$tag" >/dev/null
  log "built $tag in $(( $(date +%s) - image_start ))s"
  echo "$tag"
}
