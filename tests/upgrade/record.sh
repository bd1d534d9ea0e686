#!/usr/bin/env bash
# Record (or re-record) the upgrade fixture of an earlier dockrun: build COMMIT in a temporary
# worktree, then let it make the containers of the fixture lines and write their dockrun.* labels
# to tests/upgrade/labels-COMMIT.json (tests/integration/upgrade.rs says which lines and how).
# Needs a Docker engine; the build costs a few minutes of CPU, once.
#
# Usage: tests/upgrade/record.sh COMMIT      (e.g. 1ad0447, the last build before label formats)
set -euo pipefail
commit=${1:?usage: record.sh COMMIT}
repo=$(cd "$(dirname "$0")/../.." && pwd)
short=$(git -C "$repo" rev-parse --short=7 "$commit")
tree=$(mktemp -d "${TMPDIR:-/tmp}/dockrun-upgrade-$short.XXXXXX")
trap 'git -C "$repo" worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"' EXIT
git -C "$repo" worktree add --detach "$tree" "$short" >/dev/null
(cd "$tree" && cargo build --locked --quiet --bin dockrun)
cd "$repo"
DOCKRUN_RECORD_BIN="$tree/target/debug/dockrun" DOCKRUN_RECORD_COMMIT="$short" \
  cargo test --locked --test integration r15_record_upgrade_fixture -- --ignored --nocapture
