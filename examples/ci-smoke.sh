#!/usr/bin/env bash
# What a CI job does with dockrun: make sure the database its tests need is up before they run,
# reusing the one an earlier run of the job left (same container, same data, no cold start), and
# replacing it, data kept, only when its command line changed. `--wait` returns once the database
# reports healthy (or fails with its last log lines), as `docker compose up --wait` does.
#
# Usage: ci-smoke.sh IMAGE [DOCKRUN]   (IMAGE needs a shell: busybox or any distribution image)
# A real job would pass a database image and a fixed name (e.g. `ci-db-$CI_PROJECT_NAME`) and
# leave the container running for the next job; this smoke test removes what it made.
set -euo pipefail
image=${1:?usage: ci-smoke.sh IMAGE [DOCKRUN]}
dockrun=${2:-dockrun}
name=${CI_SMOKE_NAME:-ci-db-smoke-$$}
trap 'docker rm -f "$name" >/dev/null 2>&1 || true; docker volume rm -f "$name-data" >/dev/null 2>&1 || true' EXIT

# The "database": initialises its data directory once (slowly, as databases do), then serves;
# its healthcheck says when it is ready.
database() { # database [EXTRA FLAG...]
  "$dockrun" -d --wait --recreate changed --name "$name" --stop-timeout 2 \
    -v "$name-data:/var/lib/db" \
    --health-cmd 'test -f /var/lib/db/ready' --health-interval 1s --health-retries 30 \
    "$@" "$image" sh -c '
      trap "rm -f /var/lib/db/ready; exit 0" TERM
      [ -f /var/lib/db/initialised ] || { sleep 2; date > /var/lib/db/initialised; }
      touch /var/lib/db/ready
      while :; do sleep 1; done'
}
fail() { echo "ci-smoke: $*" >&2; exit 1; }

# First job: the database is created, initialised and waited for.
first=$(database -e DB_MAX_CONNECTIONS=20)
[ "$(docker inspect -f '{{.State.Health.Status}}' "$name")" = healthy ] || fail "not healthy after --wait"
docker exec "$name" sh -c 'echo row-1 > /var/lib/db/table'   # the tests write data

# Next job, same command line: the running, healthy database is reused as it is.
second=$(database -e DB_MAX_CONNECTIONS=20)
[ "$first" = "$second" ] || fail "a second job made a new database: $first vs $second"

# The database was stopped between jobs (a reboot, a cleanup): started again, same container.
docker stop -t 2 "$name" >/dev/null
third=$(database -e DB_MAX_CONNECTIONS=20)
[ "$first" = "$third" ] || fail "a stopped database was not started again"

# The job changes its configuration: replaced, gated on its health, data kept.
fourth=$(database -e DB_MAX_CONNECTIONS=50)
[ "$fourth" != "$first" ] || fail "a changed command line did not replace the database"
[ "$(docker exec "$name" cat /var/lib/db/table)" = row-1 ] || fail "the data did not survive the replacement"
[ "$(docker ps -a --filter "name=^/$name-dockrun-" -q)" = "" ] || fail "a replacement left a container aside"
echo "ci-smoke: ok ($fourth)"
