#!/bin/sh
# Build dockrun's release binary, the one the benchmark measures, and install it.
#
#   ./install.sh                  build, then install to $PREFIX/bin/dockrun (PREFIX=/usr/local,
#                                 where the example units look; sudo only for the copy, if needed)
#   ./install.sh --build-only     build, print the binary's path, install nothing
#   ./install.sh --build-only --debug    the same with the dev profile (CI's quick check of the
#                                 static link)
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
profile=release
for arg in "$@"; do
  case $arg in
  --build-only) build_only=true ;;
  --debug) profile=debug ;;
  *) echo "install.sh: unknown argument \`$arg\` (--build-only, --debug)" >&2; exit 2 ;;
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
prefix=${PREFIX:-/usr/local}
if [ -w "$prefix/bin" ] || { [ ! -e "$prefix/bin" ] && [ -w "$prefix" ]; }; then
  install -D -m 0755 "$bin" "$prefix/bin/dockrun"
else
  sudo install -D -m 0755 "$bin" "$prefix/bin/dockrun"
fi
echo "install.sh: installed $prefix/bin/dockrun ($host, $(stat -c %s "$bin") bytes)" >&2
