#!/usr/bin/env bash
# The Dockerfile's runtime stage, rehearsed without a Docker engine: a production-only install
# with --ignore-scripts in an empty directory, the sources and generated files copied in (as the
# COPY lines do), then the image's API and worker commands run as an unprivileged user against a
# throwaway database: /readyz, /metrics behind its token, one GraphQL request, the worker's
# healthcheck, and a clean exit on SIGTERM. Keep in step with the Dockerfile.
#   bash .ci/image-rehearsal.sh postgresql://postgres@127.0.0.1:5432 [port]
set -euo pipefail
cd "$(dirname "$0")/.."
PG_SERVER="${1:?PostgreSQL server URL, e.g. postgresql://postgres@127.0.0.1:5432}"
PORT="${2:-4598}"
APP="$(mktemp -d)"
chmod 755 "${APP}"
DB="image_rehearsal_$(date +%s)_$$"
API_PID=""
WORKER_PID=""
cleanup() {
  for pid in ${API_PID} ${WORKER_PID}; do kill -KILL -- "-${pid}" 2>/dev/null || true; done
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS ${DB} WITH (FORCE)" > /dev/null 2>&1 || true
  rm -rf "${APP}"
}
trap cleanup EXIT
fail() { echo "image rehearsal: $*"; for log in api worker; do [ -f "${APP}/${log}.log" ] && { echo "--- ${log} log"; tail -40 "${APP}/${log}.log"; }; done; exit 1; }

# RUN npm ci --omit=dev --ignore-scripts (runtime stage)
cp package.json package-lock.json "${APP}/"
( cd "${APP}" && NODE_ENV=production npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error )
[ ! -e "${APP}/node_modules/@graphql-codegen" ] || fail "dev dependencies were installed"
# COPY prisma.config.ts tsconfig.json, prisma, src; COPY --from=build src/generated (this checkout's postinstall made it)
cp -r prisma.config.ts tsconfig.json prisma src "${APP}/"
[ -f "${APP}/src/generated/prisma/client.ts" ] || fail "src/generated is missing: run npm ci first"

psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE ${DB}"
KEY="image-rehearsal-admin-$(date +%s)"
METRICS_TOKEN="image-rehearsal-metrics-token"
run_env=(env -i "PATH=${PATH}" "HOME=/tmp" NODE_ENV=production "DATABASE_URL=${PG_SERVER}/${DB}" LOG_LEVEL=info
  "DATA_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)" "DATA_HASH_KEY=$(head -c 32 /dev/urandom | base64)" SHUTDOWN_TIMEOUT_SECONDS=30)

cd "${APP}"
# CMD ["node", "--import", "tsx", "src/main.ts"], with the api service's environment
setsid "${run_env[@]}" PORT="${PORT}" HOST=127.0.0.1 WORKER_MODE=off SEED_DEMO_DATA=false ADMIN_API_KEY="${KEY}" METRICS_TOKEN="${METRICS_TOKEN}" \
  setpriv --reuid=65534 --regid=65534 --clear-groups -- node --import tsx src/main.ts > api.log 2>&1 &
API_PID=$!
for _ in $(seq 1 180); do
  curl -fs "http://127.0.0.1:${PORT}/readyz" > /dev/null 2>&1 && break
  kill -0 "${API_PID}" 2>/dev/null || fail "the API exited during start-up"
  sleep 1
done
READY="$(curl -fsS "http://127.0.0.1:${PORT}/readyz")" || fail "/readyz did not answer 200"
echo "readyz: ${READY}"
echo "${READY}" | grep -q '"worker":"off"' || fail "the API is not enqueue-only"
# The image's HEALTHCHECK command
PORT="${PORT}" node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" || fail "HEALTHCHECK command failed"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT}/metrics")" = "401" ] || fail "/metrics answered without its token"
METRICS="$(curl -fsS -H "Authorization: Bearer ${METRICS_TOKEN}" "http://127.0.0.1:${PORT}/metrics")" || fail "/metrics refused its token"
echo "${METRICS}" | grep -q 'graphql_request_duration_seconds' || fail "/metrics with its token served no request metrics"
ANSWER="$(curl -fsS -X POST "http://127.0.0.1:${PORT}/graphql" -H 'content-type: application/json' -H "x-api-key: ${KEY}" -d '{"query":"{ serviceInfo { version } }"}')"
echo "graphql: ${ANSWER}"
echo "${ANSWER}" | grep -q '"version"' || fail "GraphQL request failed"

# The worker service: command ["node", "--import", "tsx", "src/worker.ts"], LIVENESS_FILE, its healthcheck
LIVENESS="/tmp/image-rehearsal-worker-$$.json"
setsid "${run_env[@]}" LIVENESS_FILE="${LIVENESS}" setpriv --reuid=65534 --regid=65534 --clear-groups -- node --import tsx src/worker.ts > worker.log 2>&1 &
WORKER_PID=$!
HEALTHY=""
for _ in $(seq 1 120); do
  if "${run_env[@]}" LIVENESS_FILE="${LIVENESS}" setpriv --reuid=65534 --regid=65534 --clear-groups -- node --import tsx src/health/check-liveness.ts > /dev/null 2>&1; then HEALTHY=1; break; fi
  kill -0 "${WORKER_PID}" 2>/dev/null || fail "the worker exited during start-up"
  sleep 1
done
[ -n "${HEALTHY}" ] || fail "the worker's healthcheck never passed"
echo "worker healthcheck: healthy"

# docker stop: SIGTERM to PID 1 (node), then the exit code
for name in API WORKER; do
  pid_var="${name}_PID"
  pid="${!pid_var}"
  kill -TERM "${pid}"
  code=0
  wait "${pid}" || code=$?
  [ "${code}" = "0" ] || fail "${name,,} exited ${code} after SIGTERM"
  eval "${pid_var}=''"
  echo "${name,,}: exit 0 after SIGTERM"
done
[ ! -e "${LIVENESS}" ] || fail "the worker left its liveness file behind"
echo "image rehearsal passed"
