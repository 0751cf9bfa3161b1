#!/usr/bin/env bash
# Smoke test of `npm start` as a newcomer runs it: nothing configured (no DATABASE_URL, REDIS_URL
# or operations key), a fresh data directory, a free port. Checks that it comes up, that a demo
# agent key can book, and that Ctrl-C (SIGINT to its process group) stops every process it
# started within 30 seconds. Prints PASS or FAIL and exits 0 or 1.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly HEALTH_TIMEOUT_SECONDS=180
readonly DEMO_TIMEOUT_SECONDS=60
readonly STOP_TIMEOUT_SECONDS=30

work_dir="$(mktemp -d -t kalma-smoke.XXXXXX)"
# mktemp makes it 0700; as root, PostgreSQL runs as the postgres user, who must be able to enter it.
chmod 711 "$work_dir"
data_dir="$work_dir/data"
log_file="$work_dir/npm-start.log"
npm_pid=""
watched=""

log() { echo "smoke-start: $*"; }

fail() {
  log "FAIL: $*"
  if [[ -f "$log_file" ]]; then
    echo "----- npm start output (last 150 lines) -----"
    tail -n 150 "$log_file"
    echo "---------------------------------------------"
  fi
  exit 1
}

# Running, and not a zombie waiting to be reaped.
is_running() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ "$state" != Z* ]]
}

# Every process below $1: the children of `npm start` live in process groups of their own.
descendants_of() {
  local children child
  children="$(ps -e -o pid= -o ppid= | awk -v parent="$1" '$2 == parent { print $1 }')"
  for child in $children; do
    echo "$child"
    descendants_of "$child"
  done
}

# Processes whose command line names our data directory: the PostgreSQL and Redis servers.
processes_using_data_dir() {
  pgrep -f -- "$data_dir" || true
}

# On any exit: stop whatever is still running (the processes seen under npm start, anything still
# below it, and servers using the data directory), then delete the temporary directory.
cleanup() {
  local status=$?
  local candidates alive="" pid
  candidates="$npm_pid $watched $(processes_using_data_dir)"
  if [[ -n "$npm_pid" ]]; then candidates="$candidates $(descendants_of "$npm_pid")"; fi
  for pid in $candidates; do
    if is_running "$pid"; then alive="$alive $pid"; fi
  done
  if [[ -n "$alive" ]]; then
    log "stopping what is still running:$alive"
    # shellcheck disable=SC2086 # a list of pids
    kill -TERM $alive 2>/dev/null || true
    sleep 5
    # shellcheck disable=SC2086
    kill -KILL $alive 2>/dev/null || true
  fi
  rm -rf "$work_dir"
  exit "$status"
}
trap cleanup EXIT

free_port="$(node -e '
  const server = require("node:net").createServer();
  server.listen(0, "127.0.0.1", () => { console.log(server.address().port); server.close(); });
')"
base_url="http://127.0.0.1:$free_port"

# setsid: npm start leads a process group of its own (its pid is the group id), which is what a
# terminal's Ctrl-C signals; without it the SIGINT below would reach this script too.
log "npm start on port $free_port, data in $data_dir"
env -u DATABASE_URL -u REDIS_URL -u BOOTSTRAP_OPERATIONS_KEY \
  KALMA_DATA_DIR="$data_dir" PORT="$free_port" \
  setsid npm start >"$log_file" 2>&1 </dev/null &
npm_pid=$!

started=$SECONDS
until curl -fsS -o /dev/null --max-time 5 "$base_url/health" 2>/dev/null; do
  is_running "$npm_pid" || fail "npm start exited before GET /health answered 200"
  ((SECONDS - started < HEALTH_TIMEOUT_SECONDS)) || fail "GET /health did not answer 200 within $HEALTH_TIMEOUT_SECONDS s"
  sleep 1
done
log "GET /health answered 200 after $((SECONDS - started)) s"

demo_file="$data_dir/demo.json"
started=$SECONDS
until [[ -s "$demo_file" ]]; do
  is_running "$npm_pid" || fail "npm start exited before writing $demo_file"
  ((SECONDS - started < DEMO_TIMEOUT_SECONDS)) || fail "no $demo_file within $DEMO_TIMEOUT_SECONDS s of /health"
  sleep 1
done
agent_key="$(node -e 'console.log(JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).agencies[0].agentKey)' "$demo_file")"

booking="$(node -e '
  const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
  console.log(JSON.stringify({ checkIn: day(7), checkOut: day(10), guests: [{ fullName: "Smoke Test", nationality: "RU" }] }));
')"
booking_status="$(curl -sS -o "$work_dir/booking.json" -w '%{http_code}' --max-time 30 -X POST "$base_url/v1/bookings" \
  -H "Authorization: Bearer $agent_key" \
  -H "Idempotency-Key: smoke-$(date +%s)-$$" \
  -H 'Content-Type: application/json' \
  -d "$booking")" || fail "POST /v1/bookings failed: curl could not complete it"
[[ "$booking_status" == 201 ]] || fail "POST /v1/bookings answered $booking_status, expected 201: $(cat "$work_dir/booking.json")"
log "POST /v1/bookings answered 201"

console_status="$(curl -sS -o "$work_dir/console.html" -w '%{http_code}' --max-time 10 "$base_url/console")" || fail "GET /console failed: curl could not complete it"
[[ "$console_status" == 200 ]] && grep -q '<div id="app">' "$work_dir/console.html" || fail "GET /console answered $console_status without the console page"
started=$SECONDS
# The banner comes once the demo data is seeded.
until grep -q "Console .*/console" "$log_file"; do
  ((SECONDS - started < DEMO_TIMEOUT_SECONDS)) || fail "npm start did not print the console's address within $DEMO_TIMEOUT_SECONDS s"
  sleep 1
done
log "GET /console answered the console page, and npm start printed its address"

# What must be gone after Ctrl-C: npm, the supervisor, the API, the worker, PostgreSQL (with its
# backends), Redis and the supervisor's guard.
[[ "$(ps -o pgid= -p "$npm_pid" | tr -d ' ')" == "$npm_pid" ]] || fail "npm start does not lead its own process group"
watched="$npm_pid $(descendants_of "$npm_pid" | tr '\n' ' ')"
log "sending SIGINT to the process group of npm start ($(wc -w <<<"$watched") processes)"
kill -INT -- "-$npm_pid"

started=$SECONDS
while :; do
  remaining=""
  for pid in $watched; do
    if is_running "$pid"; then remaining="$remaining $pid"; fi
  done
  [[ -n "$remaining" ]] || break
  if ((SECONDS - started >= STOP_TIMEOUT_SECONDS)); then
    fail "still running $STOP_TIMEOUT_SECONDS s after SIGINT:$(echo; ps -o pid=,args= -p "${remaining# }")"
  fi
  sleep 0.5
done
npm_status=0
wait "$npm_pid" || npm_status=$?
npm_pid=""
log "everything stopped $((SECONDS - started)) s after SIGINT; npm start exited with status $npm_status"

stray="$(processes_using_data_dir)"
[[ -z "$stray" ]] || fail "processes still use the data directory: $(ps -o pid=,args= -p "${stray//$'\n'/,}")"
# The supervisor itself must exit 0. npm's own status is 0, or 130 when the script shell is dash:
# dash, having seen the SIGINT, re-raises it once its child has exited, and npm reports that.
grep -q '\[kalma\] stopped (exit code 0)' "$log_file" || fail "the supervisor did not report a clean stop (exit code 0)"
[[ "$npm_status" == 0 || "$npm_status" == 130 ]] || fail "npm start exited with status $npm_status after SIGINT"

log "PASS"
