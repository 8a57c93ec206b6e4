#!/usr/bin/env bash
# `just bench`: what recon costs in requests, time and memory against the bound (issue 17).
# For each size, a generated spec (scripts/benchgen.py: groups of a VPC, 4 subnets, an internet
# gateway, a route table, 2 security groups) runs through validate (offline), plan, apply, a
# second plan that must find no change, and destroy, on a fresh moto behind
# scripts/faultproxy.py, which adds a fixed latency per request and logs every call. Each phase
# gets a proxy of its own, so its log is its calls alone and, with --buckets, its token buckets
# start full as the bound assumes.
# Usage: scripts/bench.sh [SIZE...] [--latency MS] [--buckets] [--phases LIST]
#   SIZE          about this many resources (default: 10 100 1000 5000)
#   --latency MS  added to every request (default 40)
#   --buckets     also apply and destroy with EC2's token buckets on (sizes up to 1000)
#   --phases LIST comma-separated, of validate,plan,apply,noop,destroy (default: all)
# RECON_BIN: the recon to measure (default: a release build made here).
# Prints the tables and targets; writes them to target/bench/results.md, and keeps each
# phase's output and call log under target/bench/run/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/moto.sh

SIZES=()
LATENCY=40
BUCKETS=0
PHASES="validate,plan,apply,noop,destroy"
while [ $# -gt 0 ]; do
  case "$1" in
    --latency) LATENCY="$2"; shift 2 ;;
    --buckets) BUCKETS=1; shift ;;
    --phases) PHASES="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *[!0-9]*|"") echo "bench: unknown argument $1" >&2; exit 2 ;;
    *) SIZES+=("$1"); shift ;;
  esac
done
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10 100 1000 5000)
# recon's default --parallelism, for the report's "floor" column.
PARALLELISM=10
wants() { [[ ",$PHASES," == *",$1,"* ]]; }

moto_install >/dev/null
if [ -z "${RECON_BIN:-}" ]; then
  echo "==> Building recon (release)" >&2
  cargo build --release --bin recon
  RECON_BIN="${CARGO_TARGET_DIR:-target}/release/recon"
fi
OUT="target/bench"
RUN="$OUT/run"
rm -rf "$RUN"
mkdir -p "$RUN"
# moto's tag filters cost (resources x tags) per describe: with 5,000 resources one listing
# takes minutes, which AWS does not. The proxy and recon wait for it rather than fail.
UPSTREAM_TIMEOUT=900
export RECON_READ_TIMEOUT="${RECON_READ_TIMEOUT:-900s}"
# moto makes a volume and a snapshot for each of its hundreds of default AMIs, and every
# DescribeSnapshots then filters them all on tags (8 s at 1,000 resources); an account's own
# snapshots are what AWS filters. The bench's specs use no AMI.
export MOTO_EC2_LOAD_DEFAULT_AMIS=false

# A copy: a rebuild during the run does not change the binary under test.
RECON="$(realpath "$RUN")/recon"
cp "$RECON_BIN" "$RECON"

PROXY_PID=""
stop_proxy() { if [ -n "$PROXY_PID" ]; then kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=""; fi; }
cleanup() { stop_proxy; moto_stop >/dev/null; }
trap cleanup EXIT

# Starts a proxy in front of moto logging to $1, with further options; sets PROXY.
start_proxy() {
  local log="$1"; shift
  stop_proxy
  : >"$log"
  # Its port in a file of its own: a file shared by the phases' proxies could still hold the
  # previous one's port when it is read.
  python3 scripts/faultproxy.py --upstream "$MOTO" --log "$log" --latency "$LATENCY" \
    --upstream-timeout "$UPSTREAM_TIMEOUT" "$@" >"$log.port" &
  PROXY_PID=$!
  for _ in $(seq 1 200); do [ -s "$log.port" ] && break; sleep 0.05; done
  if [ ! -s "$log.port" ]; then echo "bench: the proxy did not start" >&2; exit 1; fi
  PROXY="http://127.0.0.1:$(awk '{print $2}' "$log.port")"
}

# Says so when the proxy has exited by itself (recon then met a refused connection).
check_proxy() {
  case "$(ps -o stat= -p "$PROXY_PID" 2>/dev/null)" in
    Z*|"") local code=0; wait "$PROXY_PID" || code=$?; PROXY_PID=""
           echo "bench: the proxy of $1 exited while recon ran (status $code)" >&2 ;;
  esac
}

# Waits until log $1 stops growing: the proxy logs a call just after answering it, so the last
# line may come a moment after recon has exited.
settle() {
  local before=-1 now
  while now="$(wc -l <"$1")" && [ "$now" != "$before" ]; do before="$now"; sleep 0.2; done
}

# CPU seconds process $1 has used so far (all its threads), 0 when it is gone.
cpu_s() {
  awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null || echo 0
}

# phase DIR NAME [--buckets] RECON-ARGS...: runs recon in DIR through a fresh proxy (not
# for validate, which makes no call), timing it; never fails, the exit code is in the report.
phase() {
  local dir="$1" name="$2"; shift 2
  local popts=()
  if [ "${1:-}" = "--buckets" ]; then popts=(--buckets); shift; fi
  local endpoint="http://127.0.0.1:9"  # validate: nothing may answer
  if [ "$name" != validate ]; then
    start_proxy "$dir/$name.calls.jsonl" "${popts[@]}"
    endpoint="$PROXY"
  fi
  # validate lasts milliseconds: the median of 5 runs, so one run's noise does not decide.
  local repeat=1
  if [ "$name" = validate ]; then repeat=5; fi
  echo "    $name: recon $*" >&2
  # How busy the endpoint was: moto's and the proxy's CPU time over the phase. moto serves one
  # request at a time (Python's interpreter lock), so near one CPU second per second of wall
  # time it, not recon, sets the pace.
  local moto0 proxy0
  moto0="$(cpu_s "$MOTO_PID")"; proxy0="$(cpu_s "${PROXY_PID:-0}")"
  (cd "$dir" && AWS_ENDPOINT_URL="$endpoint" python3 "$ROOT/scripts/benchgen.py" time \
    --repeat "$repeat" "$name.time.json" -- "$RECON" "$@" >"$name.out" 2>&1) || true
  if [ "$name" != validate ]; then
    check_proxy "$name"; settle "$dir/$name.calls.jsonl"
    printf '{"moto_cpu_s": %s, "proxy_cpu_s": %s}\n' \
      "$(awk -v a="$moto0" -v b="$(cpu_s "$MOTO_PID")" 'BEGIN{printf "%.2f", b - a}')" \
      "$(awk -v a="$proxy0" -v b="$(cpu_s "${PROXY_PID:-0}")" 'BEGIN{printf "%.2f", b - a}')" \
      >"$dir/$name.endpoint.json"
  fi
  stop_proxy
  python3 -c "import json,sys; t=json.load(open(sys.argv[1])); print(f'      exit {t[\"code\"]}, {t[\"wall\"]:.2f} s')" "$dir/$name.time.json" >&2
}

# A fresh moto for each environment measured: its state (and the time its filters take) does
# not grow with the runs before. Then a plan of SPEC in DIR, unmeasured, straight to moto: moto
# builds each service's backend on its first call (seconds on a loaded machine), and the report
# reads the critical path from this plan's graph.
fresh_moto() {
  local dir="$1" spec="$2"
  moto_stop >/dev/null
  moto_start >/dev/null
  trap cleanup EXIT  # moto_start set its own
  MOTO="$AWS_ENDPOINT_URL"
  # recon's own retry settings, as users get them (moto.sh's 2 attempts are for the tests).
  unset AWS_MAX_ATTEMPTS
  if ! (cd "$dir" && "$RECON" plan "$spec" -o plan.json >warmup.out 2>&1); then
    echo "bench: the warm-up plan failed, see $dir/warmup.out" >&2
  fi
}

DIRS=()
for size in "${SIZES[@]}"; do
  dir="$RUN/$size"
  count="$(python3 scripts/benchgen.py spec "$size" --env "bench-$size" --out "$dir")"
  echo "==> $size: $count resources" >&2
  DIRS+=("$dir")
  fresh_moto "$dir" spec.yaml
  wants validate && phase "$dir" validate validate spec.yaml
  wants plan && phase "$dir" plan plan spec.yaml -o plan.json
  wants apply && phase "$dir" apply apply spec.yaml --auto-approve
  wants noop && phase "$dir" noop plan spec.yaml --detailed-exitcode -o noop.json
  wants destroy && phase "$dir" destroy destroy spec.yaml --auto-approve
  if [ "$BUCKETS" = 1 ] && [ "$size" -le 1000 ]; then
    # Its own environment in its own directory: nothing of the runs above is in the way.
    bdir="$dir/buckets"
    python3 scripts/benchgen.py spec "$size" --env "bench-$size-buckets" --out "$bdir" >/dev/null
    # moto keeps the tags of what it deleted, and its tag filters read them all: the runs above
    # would slow these down.
    fresh_moto "$bdir" spec.yaml
    phase "$dir" apply_buckets --buckets apply buckets/spec.yaml --auto-approve
    phase "$dir" destroy_buckets --buckets destroy buckets/spec.yaml --auto-approve
  fi
done
moto_stop >/dev/null

python3 scripts/benchgen.py report --latency "$LATENCY" --parallelism "$PARALLELISM" \
  --binary "$RECON_BIN" --out "$OUT/results.md" "${DIRS[@]}"
echo "==> written to $OUT/results.md (logs: $RUN)" >&2
