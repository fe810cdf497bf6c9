#!/usr/bin/env bash
# The load benchmark of SPEC §9, in one run on this machine:
#   (a) GET /__admin/health and (b) the allocation PUT (a mix of 200s and
#   409s across many groups of four accounts), each for DURATION seconds with
#   CONNECTIONS connections, alternating for ROUNDS rounds; the headline is
#   (b)/(a) throughput and p99 of the median round (by throughput ratio), so
#   a burst of noise on a shared machine moves one round, not the result;
#   (c) the same PUT once more with a token from the token endpoint, the
#   usual client flow; plus start-up time to the first answered request, idle and loaded
#   resident memory, and memory and start-up with 100,000 accounts.
# Server and load generator are pinned to different cores when there are two.
# Not part of CI: it measures, it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-6}"
ROUNDS="${ROUNDS:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
SCALE_ACCOUNTS="${SCALE_ACCOUNTS:-100000}"

if ! command -v wrk >/dev/null; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --locked --quiet
binary="$PWD/target/release/uipath-license-mock"

work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

if [ "$(nproc)" -ge 2 ]; then server_cpu=0; load_cpu=1; else server_cpu=0; load_cpu=0; fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
wait_healthy() {
  for _ in $(seq 1 600); do
    "$binary" healthcheck --port "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the emulator never became healthy" >&2; exit 1
}
# wrk's summary: requests/s, then our p50/p99 lines (microseconds).
load() {
  local script="$1" url="$2" out
  out="$(taskset -c "$load_cpu" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s "$script" "$url")"
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '/latency_p50_us/ {print $2}' <<<"$out") $(awk '/latency_p99_us/ {print $2}' <<<"$out")"
}

python3 bench/gen_fixtures.py bench "$work/bench.json"
read -r startup_median startup_max < <(python3 bench/startup.py "$binary" 7)

port="$(free_port)"
taskset -c "$server_cpu" "$binary" --port "$port" --fixtures "$work/bench.json" >/dev/null 2>&1 &
pids+=($!); server=$!
wait_healthy "$port"
idle_rss="$(rss_mb "$server")"
base="http://127.0.0.1:$port"

# Warm-up, then ROUNDS rounds of the two measured runs back to back.
DURATION=2 load bench/health.lua "$base/__admin/health" >/dev/null
DURATION=2 load bench/allocations.lua "$base" >/dev/null
rounds=()
for _ in $(seq 1 "$ROUNDS"); do
  read -r h_rps h_p50 h_p99 < <(load bench/health.lua "$base/__admin/health")
  read -r p_rps p_p50 p_p99 < <(load bench/allocations.lua "$base")
  rounds+=("$h_rps $h_p50 $h_p99 $p_rps $p_p50 $p_p99")
done
# The round with the median throughput ratio; every round's ratio is listed.
read -r health_rps health_p50 health_p99 put_rps put_p50 put_p99 all_ratios < <(
  printf '%s\n' "${rounds[@]}" | python3 -c '
import sys
rounds = [list(map(float, line.split())) for line in sys.stdin if line.strip()]
ratios = [r[3] / r[0] for r in rounds]
median = sorted(range(len(rounds)), key=lambda i: ratios[i])[len(rounds) // 2]
fields = ["%.0f" % v for v in rounds[median]]
print(" ".join(fields), ",".join("%.2f" % r for r in ratios))
')
# The usual client flow: a token from the token endpoint, sent with every call.
jwt="$(curl -s -X POST "$base/identity_/connect/token" -d grant_type=client_credentials \
  -d client_id=bench-app -d client_secret=bench-secret |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
read -r jwt_rps _ jwt_p99 < <(BENCH_TOKEN="$jwt" load bench/allocations.lua "$base")
jwt_rps="$(printf '%.0f' "$jwt_rps")"
loaded_rss="$(rss_mb "$server")"
outcomes="$(curl -s "$base/__admin/metrics" | awk -F'[{}]' '/^license_mock_allocations_total/ {split($2,a,"outcome=\""); sub(/".*/,"",a[2]); printf "%s=%s ", a[2], $3}')"
kill "$server"

python3 bench/gen_fixtures.py scale "$SCALE_ACCOUNTS" "$work/scale.json"
read -r scale_startup _ < <(python3 bench/startup.py "$binary" 1 -- --fixtures "$work/scale.json")
port="$(free_port)"
"$binary" --port "$port" --fixtures "$work/scale.json" >/dev/null 2>&1 &
pids+=($!); scale_server=$!
wait_healthy "$port"
scale_rss="$(rss_mb "$scale_server")"
kill "$scale_server"

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
cat <<REPORT

## $(date -u +%Y-%m-%d) on $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)

| measure | value |
|---|---|
| health: requests/s, p50, p99 | ${health_rps}/s, ${health_p50} µs, ${health_p99} µs |
| allocation PUT: requests/s, p50, p99 | ${put_rps}/s, ${put_p50} µs, ${put_p99} µs |
| **PUT/health throughput** (target >= 0.80), median round | **$(ratio "$put_rps" "$health_rps")** (rounds: ${all_ratios}) |
| **PUT/health p99** (target <= 2.0), same round | **$(ratio "$put_p99" "$health_p99")** |
| allocation PUT with an issued JWT (one run after the rounds): requests/s, p99 | ${jwt_rps}/s, ${jwt_p99} µs ($(ratio "$jwt_rps" "$health_rps") of health) |
| allocation outcomes in the PUT runs | ${outcomes} |
| start to first answer (median, slowest of 7) | ${startup_median} ms, ${startup_max} ms |
| resident memory idle, after load | ${idle_rss} MB, ${loaded_rss} MB |
| ${SCALE_ACCOUNTS} accounts: start to first answer, resident memory | ${scale_startup} ms, ${scale_rss} MB |

${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s per route, wrk with one thread on CPU ${load_cpu}, server on CPU ${server_cpu}.
REPORT
