#!/usr/bin/env bash
# npm run test:image: builds the Dockerfile with podman and runs the image as an operator would, on
# the embedded SQLite and on Postgres: /health, /health/ready, the HEALTHCHECK, uid 1000, the Swagger
# UI files, SIGTERM → exit 0 within the documented stop timeout, the log lines. It removes what it
# started (image, containers, database, temporary files); a local stand-in base it had to make stays
# in podman's store, as a pulled base image would.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v podman >/dev/null || { echo "test:image needs podman (apt-get install podman runc)" >&2; exit 1; }

run_id="$$-$(date +%s)"
tag="localhost/revenue-api:test-$run_id"
work=$(mktemp -d /tmp/test-image.XXXXXX)
containers=()
database=""
failures=0
started=$(date +%s.%N)

cleanup() {
  for c in "${containers[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
  podman rmi -f "$tag" >/dev/null 2>&1 || true
  [ -n "$database" ] && psql -h 127.0.0.1 -U postgres -qc "drop database if exists $database" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '== %s (%.1f s)\n' "$1" "$(echo "$(date +%s.%N) - $started" | bc)"; }
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1" >&2; failures=$((failures + 1)); }
check() { if eval "$2"; then pass "$1"; else fail "$1"; fi; }

# This machine's podman needs runc (crun refuses its cgroup mode) and ulimits within the host's hard
# open-files limit; a private containers.conf keeps the system's own untouched.
export CONTAINERS_CONF="$work/containers.conf"
cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
runtime = "runc"
EOF

base=$(awk '/^FROM / && $2 !~ /^(deps|build)$/ { print $2; exit }' Dockerfile)
bun_version=$(node_modules/.bin/bun --version)
[ "${base#*:}" = "$bun_version-slim" ] || { echo "the Dockerfile's base $base is not Bun $bun_version" >&2; exit 1; }
stop_timeout=$(grep -oP -- '--stop-timeout \K\d+' docs/deploy.md | head -1)

step "base image"
scripts/image/local-base.sh "$base" "$(readlink -f node_modules/bun/bin/bun.exe)"

step "build"
ca=/etc/ssl/certs/ca-certificates.crt
secret=()
[ -f "$ca" ] && secret=(--secret "id=ca_bundle,src=$ca")
# --format docker keeps HEALTHCHECK (the OCI format has none); --layers=false leaves no
# intermediate images behind; host networking for bun install.
podman build --quiet --layers=false --format docker --pull=never --network host "${secret[@]}" -t "$tag" . >"$work/build.log" 2>&1 ||
  { tail -40 "$work/build.log" >&2; exit 1; }
step "built"

base_size=$(podman image inspect --format '{{.Size}}' "$base")
image_size=$(podman image inspect --format '{{.Size}}' "$tag")
added=$((image_size - base_size))
echo "image $image_size bytes; base $base_size bytes; added by the Dockerfile $added bytes"
check "the layers on top of the base are at most 40 MB" "[ $added -le $((40 * 1024 * 1024)) ]"
check "the CA bundle used at build time is not in the image" \
  "! podman run --rm --network none --entrypoint /bin/sh $tag -c 'ls /run/secrets/ca_bundle' >/dev/null 2>&1"
check "the HEALTHCHECK survived the build" "[ -n \"\$(podman image inspect --format '{{.Config.Healthcheck}}' $tag | grep -v '<nil>')\" ]"

free_port() { bun -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop()'; }
bun() { node_modules/.bin/bun "$@"; }
secret_env=(-e "JWT_SECRET=$(head -c 48 /dev/urandom | base64)" -e "JWT_REFRESH_SECRET=$(head -c 48 /dev/urandom | base64)"
  -e "METRICS_TOKEN=$(head -c 48 /dev/urandom | base64)")

wait_health() {
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "http://127.0.0.1:$1/health" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}

# Runs one container to its end: serves, answers the probes, runs as 1000, stops cleanly on SIGTERM.
exercise() {
  local name=$1 port=$2 database_check=$3
  shift 3
  local container="revenue-api-$name-$run_id"
  containers+=("$container")
  # No systemd here to run the health timer: the test runs the HEALTHCHECK itself.
  if ! podman run -d --name "$container" --network host --stop-timeout "$stop_timeout" --health-interval disable \
    -e "PORT=$port" -e DOCS_ENABLED=true "${secret_env[@]}" "$@" "$tag" >/dev/null 2>"$work/run.log"; then
    fail "$name: the container starts"
    cat "$work/run.log" >&2
    return
  fi
  step "$name: started"
  if ! wait_health "$port"; then
    fail "$name: /health answers"
    podman logs "$container" 2>&1 | tail -20 >&2
    return
  fi
  step "$name: serving"
  pass "$name: /health answers 200"
  local ready
  ready=$(curl -sS "http://127.0.0.1:$port/health/ready")
  check "$name: /health/ready is ready with the database $database_check" \
    "echo '$ready' | grep -q '\"status\":\"ready\"' && echo '$ready' | grep -q '\"database\":\"$database_check\"'"
  check "$name: the HEALTHCHECK command passes" "podman healthcheck run $container >/dev/null"
  check "$name: the server runs as uid 1000" "[ \"\$(podman exec $container id -u)\" = 1000 ]"
  check "$name: bun is PID 1" "[ \"\$(podman exec $container cat /proc/1/comm)\" = bun ]"
  for asset in swagger-ui-bundle.js swagger-ui.css favicon-32x32.png; do
    check "$name: /docs/assets/$asset is served" \
      "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/docs/assets/$asset)\" = 200 ]"
  done
  local before after elapsed
  before=$(date +%s.%N)
  podman stop -t "$stop_timeout" "$container" >/dev/null
  after=$(date +%s.%N)
  elapsed=$(echo "$after - $before" | bc)
  printf '%s: stopped in %.1f s (stop timeout %s s)\n' "$name" "$elapsed" "$stop_timeout"
  check "$name: SIGTERM ends the container with exit code 0" \
    "[ \"\$(podman inspect --format '{{.State.ExitCode}}' $container)\" = 0 ]"
  check "$name: the drain finished within the stop timeout" "[ \$(echo \"$elapsed < $stop_timeout\" | bc) = 1 ]"
  local logs
  logs=$(podman logs "$container" 2>&1)
  for line in '"msg":"listening"' '"msg":"shutting down","signal":"SIGTERM"' '"msg":"shutdown complete"'; do
    check "$name: the log has $line" "grep -qF -- '$line' <<<\"\$logs\""
  done
  check "$name: the access log has the probe requests" "grep -q 'GET /health/ready HTTP/1.1\" 200' <<<\"\$logs\""
  step "$name: done"
}

exercise sqlite "$(free_port)" healthy

if pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
  database="image_test_$(date +%s)_$$"
  psql -h 127.0.0.1 -U postgres -qc "create database $database" >/dev/null
  url="postgres://postgres@127.0.0.1:5432/$database"
  step "postgres: migrate"
  check "postgres: the image's migrate script applies the migrations" \
    "podman run --rm --network host -e DATABASE_URL=$url $tag bun dist/scripts/migrate.js >'$work/migrate.log' 2>&1"
  # MIGRATE_ON_START=false: the server refuses a database that is behind, so this proves the job ran.
  exercise postgres "$(free_port)" healthy -e "DATABASE_URL=$url" -e MIGRATE_ON_START=false
else
  fail "postgres: nothing answers on 127.0.0.1:5432"
fi

step "finished"
echo "image added $((added / 1024 / 1024)) MB to the base; $failures failed"
[ "$failures" -eq 0 ]
