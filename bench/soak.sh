#!/usr/bin/env bash
# Soak test (not in CI; see bench/README.md, "Soak"): the release binary under
# SOAK_SECONDS (default 600) of mixed load from wrk -- group rule PUTs, user
# PUTs, GETs and DELETEs across several accounts, 200s and 409s -- with fault
# rules firing (503s, 429s, delays, dropped connections, each with a seed) and
# a reset every RESET_EVERY seconds that keeps the rules
# (`POST /__admin/reset?keep=faults`). Resident memory (VmRSS) is sampled
# every SAMPLE_EVERY seconds, and the seat invariant is recounted from
# `GET /__admin/state` at every sample, under load.
#
# At the end it fails (exit 1) unless:
#   - used <= total for every code of every account, and the API's own
#     `allocated` equals the recount, once the load has stopped;
#   - memory stayed flat: the last sample is within 20% + 5 MB of the first
#     sample after the warm-up (WARMUP_SECONDS);
#   - no request errored unexpectedly: every status is 2xx or 4xx, except
#     503s and 429s no more than the fault rules fired; no timeouts; socket
#     errors no more than the drop rule fired; the emulator never panicked
#     and is still up.
#
# Loopback only; every loop is bounded by the run's deadline.
#
#   bash bench/soak.sh                  # ten minutes
#   SOAK_SECONDS=30 bash bench/soak.sh  # a quick check of the script itself
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SOAK_SECONDS="${SOAK_SECONDS:-600}"
CONNECTIONS="${CONNECTIONS:-32}"
SAMPLE_EVERY="${SAMPLE_EVERY:-5}"
RESET_EVERY="${RESET_EVERY:-15}"
# Resident memory climbs for the first 30 to 45 s under this load (the
# journal filling, the allocator reaching its working set), then stays flat.
WARMUP_SECONDS="${WARMUP_SECONDS:-$((SOAK_SECONDS >= 180 ? 60 : SOAK_SECONDS / 3))}"
ACCOUNTS=6

if ! command -v wrk >/dev/null; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked --quiet
binary="$PWD/target/release/uipath-license-mock"

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

if [ "$(nproc)" -ge 2 ]; then server_cpu=0; load_cpu=1; else server_cpu=0; load_cpu=0; fi

# ---- Fixtures: the reset baseline. -----------------------------------------
# Each account holds three codes and declares 20 small groups (1 to 4
# members) and one of 100 members (more than any code has seats), so the mix
# answers 200s and 409s; undeclared groups count one member.
python3 - "$ACCOUNTS" >"$work/fixtures.json" <<'PY'
import json, sys

accounts = []
for a in range(int(sys.argv[1])):
    groups = [{"groupId": f"g-{g}", "members": 1 + g % 4} for g in range(20)]
    groups.append({"groupId": "huge", "members": 100})
    accounts.append({
        "accountId": f"soak-{a}",
        "licenses": {"IDU": 40, "RPADEVPRONU": 60, "ACNU": 30},
        "groups": groups,
    })
json.dump({"accounts": accounts}, sys.stdout)
PY

# ---- The load: a fixed, deterministic mix of 1,000 requests, cycled. -------
cat >"$work/soak.lua" <<LUA
local accounts = $ACCOUNTS
LUA
cat >>"$work/soak.lua" <<'LUA'
local codes = { '["IDU"]', '["IDU","RPADEVPRONU"]', '["ACNU","RPADEVPRONU"]', '["IDU","ACNU","RPADEVPRONU"]', '[]' }
local requests = {}
for i = 0, 999 do
  local base = "/lease_/api/account/soak-" .. (i % accounts) .. "/user-license"
  local group
  if i % 13 == 0 then group = "huge" elseif i % 7 == 0 then group = "new-" .. (i % 30) else group = "g-" .. (i % 20) end
  local users = '["u-' .. (i % 50) .. '","u-' .. ((i * 7) % 50) .. '"]'
  local kind = i % 10
  local r
  if kind <= 2 then
    r = { "PUT", base .. "/group/" .. group, '{"userBundleCodes":' .. codes[(i % #codes) + 1] .. ',"useExternalLicense":' .. tostring(i % 11 == 0) .. '}' }
  elseif kind <= 4 then
    r = { "PUT", base, '{"userIds":' .. users .. ',"userBundleCodes":' .. codes[(i % #codes) + 1] .. ',"useExternalLicense":false}' }
  elseif kind == 5 then
    r = { "GET", base .. "/group/" .. group }
  elseif kind == 6 then
    r = { "GET", base }
  elseif kind == 7 then
    r = { "POST", base, '{"userIds":' .. users .. '}' }
  elseif kind == 8 then
    r = { "DELETE", base .. "/group/" .. group }
  else
    r = { "DELETE", base, '{"userIds":' .. users .. '}' }
  end
  requests[#requests + 1] = r
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n = 0
  statuses = {}
  wrk.headers["Authorization"] = "Bearer soak"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local r = requests[(n % #requests) + 1]
  return wrk.format(r[1], r[2], nil, r[3])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("soak_status %d %d\n", status, count))
  end
  local e = summary.errors
  io.write(string.format("soak_errors connect=%d read=%d write=%d timeout=%d\n", e.connect, e.read, e.write, e.timeout))
  io.write(string.format("soak_latency_us p50=%d p99=%d max=%d\n", latency:percentile(50), latency:percentile(99), latency.max))
end
LUA

# ---- Checks, shared by the samples and the end. ----------------------------
cat >"$work/check.py" <<'PY'
"""Recounts every account's seats from GET /__admin/state (SPEC §2).

Usage: check.py BASE [--api]. With --api (only once the load has stopped),
the recount must also equal GET {acc}/user-license's `allocated`.
"""
import json, sys, urllib.parse, urllib.request

base, api = sys.argv[1], "--api" in sys.argv[2:]


def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer soak"})
    return json.load(urllib.request.urlopen(request, timeout=10))


problems = []
state = get("/__admin/state")
for account in state["accounts"]:
    licenses = account.get("licenses")
    if licenses is None:
        continue
    used = dict.fromkeys(licenses, 0)
    for group in account.get("groups", []):
        rule = group.get("rule")
        if not rule or rule.get("useExternalLicense"):
            continue
        members = group.get("members")
        members = 1 if members is None else len(members) if isinstance(members, list) else members
        for code in dict.fromkeys(rule["userBundleCodes"]):
            used[code] = used.get(code, 0) + min(members, rule.get("quotas", {}).get(code, members))
    for user in account.get("users", []):
        if not user.get("useExternalLicense"):
            for code in dict.fromkeys(user["userBundleCodes"]):
                used[code] = used.get(code, 0) + 1
    name = account["accountId"]
    for code, seats in used.items():
        if seats > licenses.get(code, 0):
            problems.append(f"{name}: {code} used {seats} > total {licenses.get(code, 0)}")
    if api:
        path = f"/lease_/api/account/{urllib.parse.quote(name, safe='')}/user-license"
        for bundle in get(path):
            expected = (used.get(bundle["code"]), licenses.get(bundle["code"]))
            if (bundle["allocated"], bundle["total"]) != expected:
                problems.append(f"{name}: API says {bundle}, recount says (used, total) = {expected}")
users = sum(len(account.get("users", [])) for account in state["accounts"])
print(f"{len(state['accounts'])} accounts, {users} users with direct allocations, {len(problems)} problems")
for problem in problems:
    print("  " + problem)
sys.exit(1 if problems else 0)
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# ---- Start. ----------------------------------------------------------------
port="$(free_port)"
base="http://127.0.0.1:$port"
RUST_LOG=warn taskset -c "$server_cpu" "$binary" --port "$port" --fixtures "$work/fixtures.json" \
    >"$work/server.log" 2>&1 &
server=$!
pids+=("$server")
for _ in $(seq 1 100); do
    "$binary" healthcheck --port "$port" >/dev/null 2>&1 && break
    sleep 0.1
done
"$binary" healthcheck --port "$port" >/dev/null

# Fault rules, each with a seed so a run repeats: 503 on 2% of group PUTs,
# 429 on 1% of GETs, a delay on 5% of one account's requests, a dropped
# connection on 0.5% of DELETEs.
add_fault() { curl -sSf -X POST "$base/__admin/faults" -H 'Content-Type: application/json' -d "$1" >/dev/null; }
add_fault '{"match": {"method": "PUT", "path": "*/user-license/group/*"}, "respond": {"status": 503, "body": {"error": "maintenance"}}, "probability": 0.02, "seed": 1}'
add_fault '{"match": {"method": "GET"}, "respond": {"status": 429}, "probability": 0.01, "seed": 2}'
add_fault '{"match": {"accountId": "soak-1"}, "delayMs": 20, "jitterMs": 30, "probability": 0.05, "seed": 3}'
add_fault '{"match": {"method": "DELETE"}, "drop": true, "probability": 0.005, "seed": 4}'

idle_kb="$(rss_kb "$server")"
start=$(date +%s)
deadline=$((start + SOAK_SECONDS))
echo "soak: ${SOAK_SECONDS}s against $base (pid $server), $CONNECTIONS connections, $ACCOUNTS accounts," \
    "reset every ${RESET_EVERY}s, memory sampled every ${SAMPLE_EVERY}s, warm-up ${WARMUP_SECONDS}s"

taskset -c "$load_cpu" wrk -t1 -c"$CONNECTIONS" -d"${SOAK_SECONDS}s" --timeout 5s -s "$work/soak.lua" "$base" \
    >"$work/wrk.txt" 2>&1 &
load=$!
pids+=("$load")

# Resets that keep the fault rules, until the deadline.
(
    resets=0
    while sleep "$RESET_EVERY" && [ "$(date +%s)" -lt "$deadline" ]; do
        curl -sSf -X POST "$base/__admin/reset?keep=faults" >/dev/null && resets=$((resets + 1))
        echo "$resets" >"$work/resets"
    done
) &
pids+=($!)

# Memory and the invariant under load, until the deadline.
: >"$work/samples"
invariant_failures=0
while [ "$(date +%s)" -lt "$deadline" ] && kill -0 "$server" 2>/dev/null; do
    sleep "$SAMPLE_EVERY"
    elapsed=$(($(date +%s) - start))
    rss="$(rss_kb "$server" 2>/dev/null || echo 0)"
    echo "$elapsed $rss" >>"$work/samples"
    if ! verdict="$(python3 "$work/check.py" "$base" 2>&1)"; then
        invariant_failures=$((invariant_failures + 1))
    fi
    printf '  %4ss  rss %6.1f MB  invariant: %s\n' "$elapsed" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" "$verdict"
done
wait "$load" || true

# ---- Verdict. --------------------------------------------------------------
failures=()
alive=yes
kill -0 "$server" 2>/dev/null || alive=no
[ "$alive" = yes ] || failures+=("the emulator is no longer running")
if grep -q 'panicked at' "$work/server.log"; then
    failures+=("the emulator panicked: $(grep -m1 'panicked at' "$work/server.log")")
fi
[ "$invariant_failures" -eq 0 ] || failures+=("the invariant broke at $invariant_failures samples under load")
if [ "$alive" = yes ]; then
    # The rules' counters first; then no more faults, so that the final
    # check's own GETs are answered by the API.
    faults="$(curl -sSf "$base/__admin/faults")"
    curl -sSf -X DELETE "$base/__admin/faults" >/dev/null
    if ! final="$(python3 "$work/check.py" "$base" --api 2>&1)"; then
        failures+=("after the load: $final")
    fi
else
    final="(no answer)"
    faults="[]"
fi

# What the fault rules fired, by kind.
read -r fired_503 fired_429 fired_delay fired_drop < <(python3 -c '
import json, sys
rules = json.loads(sys.argv[1])
def fired(test):
    return sum(rule.get("fired", 0) for rule in rules if test(rule))
status = lambda code: lambda rule: (rule.get("respond") or {}).get("status") == code
print(fired(status(503)), fired(status(429)), fired(lambda r: r.get("delayMs")), fired(lambda r: r.get("drop")))
' "$faults") || true

# What wrk saw.
requests_total="$(awk '/requests in/ {print $1}' "$work/wrk.txt")"
rps="$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")"
latency="$(awk '/^soak_latency_us/ {print $2, $3, $4}' "$work/wrk.txt")"
statuses="$(awk '/^soak_status/ {printf "%s=%s ", $2, $3}' "$work/wrk.txt")"
count_status() { awk -v lo="$1" -v hi="$2" '/^soak_status/ && $2 >= lo && $2 <= hi {n += $3} END {print n + 0}' "$work/wrk.txt"; }
got_503="$(count_status 503 503)"
got_429="$(count_status 429 429)"
unexpected=$(($(count_status 100 199) + $(count_status 300 399) + $(count_status 500 599) - got_503))
unexpected=$((unexpected + $(count_status 600 999)))
eval "$(awk '/^soak_errors/ {for (i = 2; i <= NF; i++) print "err_" $i}' "$work/wrk.txt")"
: "${err_connect:=?}" "${err_read:=?}" "${err_write:=?}" "${err_timeout:=?}"
if [ -z "$requests_total" ] || [ "$err_connect" = "?" ]; then
    failures+=("wrk did not report (see its output below)")
    cat "$work/wrk.txt" >&2
else
    [ "$unexpected" -eq 0 ] || failures+=("$unexpected answers were neither 2xx, 4xx nor a configured fault status")
    [ "$got_503" -le "$fired_503" ] || failures+=("$got_503 answers were 503 but the 503 rule fired $fired_503 times")
    [ "$got_429" -le "$fired_429" ] || failures+=("$got_429 answers were 429 but the 429 rule fired $fired_429 times")
    [ "$err_timeout" -eq 0 ] || failures+=("$err_timeout requests timed out (5 s)")
    socket_errors=$((err_connect + err_read + err_write))
    [ "$socket_errors" -le "$fired_drop" ] ||
        failures+=("$socket_errors socket errors but the drop rule fired $fired_drop times")
fi

# Memory: the first sample at or after the warm-up against the last one.
read -r warm_s warm_kb < <(awk -v w="$WARMUP_SECONDS" '$1 >= w {print; exit}' "$work/samples") || true
read -r last_s last_kb < <(tail -n1 "$work/samples") || true
max_kb="$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {print m}' "$work/samples")"
if [ -z "${warm_kb:-}" ] || [ -z "${last_kb:-}" ]; then
    failures+=("too few memory samples for a ${SOAK_SECONDS}s run with a ${WARMUP_SECONDS}s warm-up")
    memory="(too few samples)"
else
    limit_kb=$((warm_kb * 12 / 10 + 5 * 1024))
    memory="$(awk -v a="$warm_kb" -v b="$last_kb" -v m="$max_kb" -v l="$limit_kb" -v as="$warm_s" -v bs="$last_s" \
        'BEGIN {printf "%.1f MB at %ss, %.1f MB at %ss (limit %.1f MB), peak %.1f MB", a/1024, as, b/1024, bs, l/1024, m/1024}')"
    [ "$last_kb" -le "$limit_kb" ] || failures+=("memory grew: $memory")
fi

cat <<SUMMARY

== soak summary
duration          ${SOAK_SECONDS} s, $CONNECTIONS connections, resets: $(cat "$work/resets" 2>/dev/null || echo 0)
requests          ${requests_total:-?} (${rps:-?}/s), latency µs ${latency:-?}
statuses          ${statuses:-?}
fault rules fired 503: $fired_503, 429: $fired_429, delays: $fired_delay, drops: $fired_drop
socket errors     connect ${err_connect}, read ${err_read}, write ${err_write}, timeouts ${err_timeout}
memory (VmRSS)    idle $(awk -v k="$idle_kb" 'BEGIN {printf "%.1f MB", k / 1024}') before the load; ${memory}
invariant         under load: $(wc -l <"$work/samples") samples, $invariant_failures broken; after: ${final}
SUMMARY

if [ "${#failures[@]}" -ne 0 ]; then
    printf '\nsoak: FAILED\n' >&2
    printf '  - %s\n' "${failures[@]}" >&2
    exit 1
fi
printf '\nsoak: passed\n'
