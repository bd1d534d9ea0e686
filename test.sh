#!/usr/bin/env bash
# The README's test command: on a Debian machine with a Docker engine (or docker.io installable),
# install what the tests need when it is missing, start dockerd when no engine answers, run every
# test (`cargo test --locked --no-fail-fast`: a failing unit test does not hide the engine tests;
# plus any arguments given: `./test.sh --test integration r12_`) and
# close with one line totalling every test binary: `N passed, N failed`. Exit status: cargo's.
# Never skips the engine tests: no engine → loud failure. `.ci/run` calls this same script.
set -euo pipefail
cd "$(dirname "$0")"

log() { printf '== %s\n' "$*" >&2; }

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
apt_updated=
need_pkg() { # need_pkg PACKAGE...: install the Debian packages that are missing
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if [ -z "$apt_updated" ]; then $sudo apt-get update -qq; apt_updated=1; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# 1. An engine that answers (on this machine kind it is started before the session).
if ! docker info >/dev/null 2>&1; then
  log "no Docker engine answers: installing docker.io and starting dockerd"
  need_pkg docker.io
  ($sudo dockerd >/tmp/dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
fi
if ! docker info >/dev/null 2>&1; then
  log "FATAL: no Docker engine could be had (see /tmp/dockerd.log); the engine tests cannot run"
  exit 1
fi
log "engine: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"

# 2. What the tests build their images, registries and engine fronts from: the busybox test
# image, a loopback registry with htpasswd auth, tmux for terminal tests, stunnel and socat as TLS
# terminators, podman's docker-compatible API, sshd for ssh://, `file` for the static-build check,
# and debootstrap for the systemd tests' Debian root (tests/systemd/build-image.sh, run by the
# tests themselves, once per machine).
need_pkg busybox-static docker-registry apache2-utils tmux stunnel4 socat podman openssh-server \
  file debootstrap debian-archive-keyring
# The Debian package test (tests/integration/quadlet.rs) builds the package with cargo-deb.
if ! command -v cargo-deb >/dev/null; then
  log "installing cargo-deb (cargo install cargo-deb --locked)"
  cargo install cargo-deb --locked --quiet
fi

# 3. Every test, and one closing line that totals every test binary's results (cargo's own last
# line belongs to whichever target ran last, possibly one with no tests).
log "cargo test --locked --no-fail-fast $*"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
set +e
cargo test --locked --no-fail-fast "$@" 2>&1 | tee "$results"
status=${PIPESTATUS[0]}
set -e
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$results"
exit "$status"
