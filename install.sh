#!/bin/sh
# Build dockrun's release binary, the one the benchmark measures, and install it.
#
#   ./install.sh                  build, then install to $PREFIX/bin/dockrun (PREFIX=/usr/local,
#                                 where the example units look; sudo only for the copy, if needed),
#                                 and the generator for `.container` files: symlinks to it named
#                                 dockrun-generator in $SYSTEMD_DIR/system-generators and
#                                 dockrun-user-generator in $SYSTEMD_DIR/user-generators
#                                 (SYSTEMD_DIR=/usr/lib/systemd; skipped when it does not exist)
#   ./install.sh --build-only     build, print the binary's path, install nothing
#   ./install.sh --build-only --debug    the same with the dev profile (CI's quick check of the
#                                 static link)
#   ./install.sh --deb [--debug]  build, then the Debian package of that binary (with the man page,
#                                 completions and generator) with cargo-deb (`cargo install
#                                 cargo-deb --locked`); prints the .deb's path, installs nothing
#
# On Linux with glibc the binary is a static PIE (`-C target-feature=+crt-static`): no dynamic
# loader runs, no shared library is mapped or has its symbols bound at start-up, so a no-op launch
# takes about a third less wall time than the default dynamic build (README, "Performance"), and
# the address-space randomisation of a PIE is kept. The flag is given for an explicit `--target`,
# so proc-macros and build scripts, which run on the host, are built as usual. On other targets
# (musl is static already) the build is cargo's default. `cargo install --locked --path .` also
# works; it makes the dynamic build.
set -eu
cd "$(dirname "$0")"

build_only=false
deb=false
profile=release
for arg in "$@"; do
  case $arg in
  --build-only) build_only=true ;;
  --deb) deb=true ;;
  --debug) profile=debug ;;
  *) echo "install.sh: unknown argument \`$arg\` (--build-only, --deb, --debug)" >&2; exit 2 ;;
  esac
done

host=$(rustc -vV | sed -n 's/^host: //p')
case $host in
*-linux-gnu*) rustflags='["-C", "target-feature=+crt-static"]' ;;
*) rustflags='[]' ;;
esac
if [ "$profile" = release ]; then set -- --release; else set --; fi
cargo build "$@" --locked --target "$host" --config "target.$host.rustflags = $rustflags" >&2
bin=$PWD/target/$host/$profile/dockrun

if $build_only; then
  echo "$bin"
  exit 0
fi
if $deb; then
  command -v cargo-deb >/dev/null || { echo "install.sh: --deb needs cargo-deb: cargo install cargo-deb --locked" >&2; exit 1; }
  assets=target/deb-assets
  mkdir -p "$assets"
  "$bin" --generate bash >"$assets/dockrun.bash"
  "$bin" --generate zsh >"$assets/_dockrun"
  "$bin" --generate fish >"$assets/dockrun.fish"
  if [ "$profile" = release ]; then deb_profile=release; else deb_profile=dev; fi
  out=$PWD/target/debian
  mkdir -p "$out"
  # --no-build: package the static binary just built (cargo-deb maps target/release/ in the
  # assets onto target/$host/$profile/).
  # cargo-deb prints the package's path on stdout.
  cargo deb --no-build --locked --target "$host" --profile "$deb_profile" --output "$out" | tail -n1
  exit 0
fi
prefix=${PREFIX:-/usr/local}
# as_needed DIR CMD...: run CMD, with sudo when DIR (or, missing, its parent) is not writable.
as_needed() {
  dir=$1; shift
  if [ -w "$dir" ] || { [ ! -e "$dir" ] && [ -w "$(dirname "$dir")" ]; }; then "$@"; else sudo "$@"; fi
}
as_needed "$prefix/bin" install -D -m 0755 "$bin" "$prefix/bin/dockrun"
echo "install.sh: installed $prefix/bin/dockrun ($host, $(stat -c %s "$bin") bytes)" >&2
# The generator is dockrun itself, started under these names (one binary: the generator and the
# units' ExecStart= are always the same version).
systemd_dir=${SYSTEMD_DIR:-/usr/lib/systemd}
if [ -d "$systemd_dir" ]; then
  for pair in system-generators/dockrun-generator user-generators/dockrun-user-generator; do
    as_needed "$systemd_dir" mkdir -p "$systemd_dir/${pair%/*}"
    as_needed "$systemd_dir/${pair%/*}" ln -sfn "$prefix/bin/dockrun" "$systemd_dir/$pair"
  done
  echo "install.sh: installed the generator in $systemd_dir/{system,user}-generators (.container files: /etc/dockrun/containers, ~/.config/dockrun/containers)" >&2
fi
