#!/usr/bin/env bash
# `just faults`: recon on moto through the project's fault harness (scripts/faultproxy.py),
# measuring what docs/reliability.md quotes:
#   1. lost answers: an apply of SPEC with the answer to its N-th mutating call lost after AWS
#      acted, for every N; then: duplicates left (by ownership tags, counted with boto3, not
#      through recon), the apply's exit code, and whether the next apply and destroy clean up;
#   2. throttling, 5xx and dropped connections at given rates: apply then destroy, what remains;
#   3. two applies at once, then a third: duplicates left after the third;
#   4. a mount target hidden for 10 s after its create (irb only);
#   5. kill -9 and 6. Ctrl-C (SIGINT) of an apply right after the answer to its N-th mutating
#      call, for every N (every STRIDE-th with STRIDE=k), then the next apply and a destroy.
# Usage: scripts/faults.sh [SPEC] (default specs/irb.yaml). Prints one figure per line.
# SECTIONS="lost rates race hidden kill interrupt" (the default: all) runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/moto.sh
SPEC="${1:-specs/irb.yaml}"
SECTIONS="${SECTIONS:-lost rates race hidden kill interrupt}"
STRIDE="${STRIDE:-1}"
section() { [[ " $SECTIONS " == *" $1 "* ]]; }
NAME="$(basename "$SPEC" .yaml)"
moto_install >/dev/null
WORK="$(mktemp -d -t recon-faults.XXXXXX)"
# A copy: a rebuild during the run does not change the binary under test. RECON_BIN skips the
# build (e.g. the binary the test suite built).
if [ -z "${RECON_BIN:-}" ]; then
  echo "==> Building recon" >&2
  cargo build --workspace
  RECON_BIN=target/debug/recon
fi
cp "$RECON_BIN" "$WORK/recon"
RECON="$WORK/recon"
moto_start >/dev/null
MOTO="$AWS_ENDPOINT_URL"
# recon's own retry settings, as users get them (the test suite's fewer attempts are for speed).
unset AWS_MAX_ATTEMPTS
PROXY_PID=""
stop_proxy() { if [ -n "$PROXY_PID" ]; then kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=""; fi; }
trap 'stop_proxy; moto_stop; rm -rf "$WORK"' EXIT

# Starts the proxy with the given options; sets PROXY and LOG.
start_proxy() {
  stop_proxy
  LOG="$WORK/calls.jsonl"
  : >"$LOG"
  # Its stderr: tracebacks of connections a killed client left, expected here.
  python3 scripts/faultproxy.py --upstream "$MOTO" --log "$LOG" "$@" >"$WORK/proxy.out" 2>>"$WORK/proxy.err" &
  PROXY_PID=$!
  for _ in $(seq 1 50); do [ -s "$WORK/proxy.out" ] && break; sleep 0.1; done
  PROXY="http://127.0.0.1:$(awk '{print $2}' "$WORK/proxy.out")"
}

# A workspace with SPEC for environment $1 (and its key files, if any).
workspace() {
  local dir="$WORK/$1"
  mkdir -p "$dir"
  # The KMS alias is unique per account and region: each environment gets its own.
  sed -e "s/^environment:.*/environment: $1/" -e "s/alias: \(.*\)/alias: $1-\1/" "$SPEC" >"$dir/spec.yaml"
  echo "$dir"
}

# "<duplicates> <total>": resources of environment $1 sharing a recon:id with another, and all
# resources tagged with it (EC2, KMS, EFS), counted with boto3.
census() {
  "$VENV/bin/python" - "$1" "$MOTO" <<'EOF'
import collections, sys, boto3
env, url = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=url, region_name="us-east-1")
ids = collections.Counter()
ec2 = boto3.client("ec2", **kw)
f = [{"Name": "tag:recon:env", "Values": [env]}]
def recon_id(tags):
    return {t["Key"]: t["Value"] for t in tags or []}.get("recon:id", "?")
# Each kind by its own describe: moto's DescribeTags keeps the tags of deleted resources.
for v in ec2.describe_vpcs(Filters=f)["Vpcs"]:
    ids[recon_id(v.get("Tags"))] += 1
for x in ec2.describe_subnets(Filters=f)["Subnets"]:
    ids[recon_id(x.get("Tags"))] += 1
for x in ec2.describe_security_groups(Filters=f)["SecurityGroups"]:
    ids[recon_id(x.get("Tags"))] += 1
for x in ec2.describe_internet_gateways(Filters=f)["InternetGateways"]:
    ids[recon_id(x.get("Tags"))] += 1
for x in ec2.describe_route_tables(Filters=f)["RouteTables"]:
    ids[recon_id(x.get("Tags"))] += 1
for x in ec2.describe_nat_gateways(Filters=f)["NatGateways"]:
    if x["State"] not in ("deleted", "deleting"):
        ids[recon_id(x.get("Tags"))] += 1
for x in ec2.describe_addresses(Filters=f)["Addresses"]:
    ids[recon_id(x.get("Tags"))] += 1
for x in ec2.describe_key_pairs(Filters=f)["KeyPairs"]:
    ids[recon_id(x.get("Tags"))] += 1
for x in ec2.describe_launch_templates(Filters=f)["LaunchTemplates"]:
    ids[recon_id(x.get("Tags"))] += 1
for r in ec2.describe_instances(Filters=f)["Reservations"]:
    for x in r["Instances"]:
        if x["State"]["Name"] != "terminated":
            ids[recon_id(x.get("Tags"))] += 1
kms = boto3.client("kms", **kw)
for k in kms.list_keys()["Keys"]:
    meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
    if meta["KeyState"] == "PendingDeletion":
        continue
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=k["KeyId"])["Tags"]}
    if tags.get("recon:env") == env:
        ids[tags.get("recon:id", "?")] += 1
efs = boto3.client("efs", **kw)
for fs in efs.describe_file_systems()["FileSystems"]:
    tags = {t["Key"]: t["Value"] for t in fs.get("Tags", [])}
    if tags.get("recon:env") == env:
        ids[tags.get("recon:id", "?")] += 1
print(sum(n - 1 for n in ids.values() if n > 1), sum(ids.values()))
EOF
}
duplicates() { census "$1" | cut -d' ' -f1; }
remaining() { census "$1" | cut -d' ' -f2; }

mutating_calls() { python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)['mutating']))" "$LOG"; }
run() { (cd "$1" && AWS_ENDPOINT_URL="$2" "$RECON" "${@:3}" >"$1/out.txt" 2>&1) && echo 0 || echo $?; }

echo "== $NAME on moto $MOTO_VERSION through scripts/faultproxy.py"

# How many mutating calls a clean apply makes: the points of sections 1, 5 and 6.
start_proxy
dir="$(workspace "fa-$NAME-count")"
run "$dir" "$PROXY" apply spec.yaml --auto-approve >/dev/null
points="$(mutating_calls)"
run "$dir" "$MOTO" destroy spec.yaml --auto-approve >/dev/null
echo "mutating calls in a clean apply: $points"

# 1. Lost answers.
if section lost; then
dup_points=0; failed_points=0; left_after_next=0
for n in $(seq 1 "$points"); do
  start_proxy --lose-nth "$n"
  env="fa-$NAME-lost$n"
  dir="$(workspace "$env")"
  code="$(run "$dir" "$PROXY" apply spec.yaml --auto-approve)"
  lost="$(python3 -c "import json,sys; print(next((json.loads(l)['action'] for l in open(sys.argv[1]) if json.loads(l)['fault']=='lose'), '-'))" "$LOG")"
  dups="$(duplicates "$env")"
  [ "$dups" != 0 ] && dup_points=$((dup_points + 1))
  [ "$code" != 0 ] && failed_points=$((failed_points + 1))
  next="$(run "$dir" "$MOTO" apply spec.yaml --auto-approve)"
  after="$(duplicates "$env")"
  [ "$after" != 0 ] && left_after_next=$((left_after_next + 1))
  destroy="$(run "$dir" "$MOTO" destroy spec.yaml --auto-approve)"
  echo "lost answer $n ($lost): apply exit $code, duplicates $dups; next apply exit $next, duplicates $after; destroy exit $destroy"
done
echo "lost-answer points: $points; with a duplicate: $dup_points; apply failed: $failed_points; duplicates after the next apply: $left_after_next"
fi

# 2. Throttling, 5xx, dropped connections.
# RATES="--throttle 0.2;--error 0.2" picks the rates (';'-separated).
IFS=';' read -r -a rates <<<"${RATES:---throttle 0.2;--throttle 0.4;--throttle 0.6;--error 0.2;--drop 0.2;--throttle 0.2 --error 0.2 --drop 0.2}"
section rates && for fault in "${rates[@]}"; do
  # shellcheck disable=SC2086
  start_proxy $fault --seed 7
  env="fa-$NAME-rate$RANDOM"
  dir="$(workspace "$env")"
  a="$(run "$dir" "$PROXY" apply spec.yaml --auto-approve)"
  retried="$(grep -o '[0-9]* calls retried (throttled: [0-9]*)' "$dir/out.txt" | tail -1 || true)"
  dups="$(duplicates "$env")"
  d="$(run "$dir" "$PROXY" destroy spec.yaml --auto-approve)"
  left="$(remaining "$env")"
  run "$dir" "$MOTO" destroy spec.yaml --auto-approve >/dev/null
  echo "faults $fault: apply exit $a (${retried:-no retries}), duplicates $dups; destroy exit $d, $left left"
  if [ "$a" != 0 ]; then echo "  apply said: $(grep -m1 'Could not\|×' "$dir/out.txt" | head -c 300)"; fi
done

# 3. Two applies at once, then a third.
if section race; then
stop_proxy
env="fa-$NAME-race"
dir="$(workspace "$env")"
cp -r "$dir" "$dir-b"
(cd "$dir" && { c=0; "$RECON" apply spec.yaml --auto-approve >out1.txt 2>&1 || c=$?; echo "$c" >code1; }) &
first=$!
(cd "$dir-b" && { c=0; "$RECON" apply spec.yaml --auto-approve >out2.txt 2>&1 || c=$?; echo "$c" >code2; }) &
second=$!
# Only these two: moto runs in the background too.
wait "$first" "$second"
dups="$(duplicates "$env")"
third="$(run "$dir" "$MOTO" apply spec.yaml --auto-approve)"
after="$(duplicates "$env")"
destroy="$(run "$dir" "$MOTO" destroy spec.yaml --auto-approve)"
echo "two applies at once: exits $(cat "$dir/code1") and $(cat "$dir-b/code2"), duplicates $dups; third apply exit $third, duplicates $after; destroy exit $destroy"
fi

# 4. A mount target hidden for 10 s after its create.
if section hidden && grep -q efs_mount_target "$SPEC"; then
  start_proxy --hide-new 10
  env="fa-$NAME-hidden"
  dir="$(workspace "$env")"
  code="$(run "$dir" "$PROXY" apply spec.yaml --auto-approve)"
  hidden="$(python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get('hidden')))" "$LOG")"
  destroy="$(run "$dir" "$MOTO" destroy spec.yaml --auto-approve)"
  echo "mount target hidden 10 s: apply exit $code ($hidden reads answered not found); destroy exit $destroy"
fi

# 5 and 6. An apply stopped by a signal right after the answer to its N-th mutating call (the
# proxy adds 200 ms to every call, so the signal lands before the next answer; calls already
# sent still reach AWS, as they would). SIGKILL leaves the lock, which the next run on this
# host takes over; SIGINT releases it. Then: duplicates, the next apply, a destroy.
for signal in KILL INT; do
  case "$signal" in KILL) name=kill ;; INT) name=interrupt ;; esac
  section "$name" || continue
  tried=0; dup_points=0; failed_next=0; failed_destroy=0; missed=0
  for n in $(seq 1 "$STRIDE" "$points"); do
    start_proxy --latency 200
    env="fa-$NAME-$name$n"
    dir="$(workspace "$env")"
    (cd "$dir" && AWS_ENDPOINT_URL="$PROXY" exec "$RECON" apply spec.yaml --auto-approve >"$dir/out.txt" 2>&1) &
    pid=$!
    while kill -0 "$pid" 2>/dev/null && [ "$(mutating_calls)" -lt "$n" ]; do sleep 0.005; done
    sent=1
    if ! kill -s "$signal" "$pid" 2>/dev/null; then missed=$((missed + 1)); sent=0; fi
    code=0; wait "$pid" || code=$?
    if [ "$sent" = 0 ] && [ "$code" != 0 ]; then
      echo "  the apply ended on its own before the signal, saying: $(grep -m1 '×\|Error' "$dir/out.txt" | head -c 300)"
    fi
    tried=$((tried + 1))
    dups="$(duplicates "$env")"
    [ "$dups" != 0 ] && dup_points=$((dup_points + 1))
    next="$(run "$dir" "$MOTO" apply spec.yaml --auto-approve)"
    after="$(duplicates "$env")"
    [ "$next" != 0 ] || [ "$after" != 0 ] && failed_next=$((failed_next + 1))
    destroy="$(run "$dir" "$MOTO" destroy spec.yaml --auto-approve)"
    [ "$destroy" != 0 ] && failed_destroy=$((failed_destroy + 1))
    echo "SIG$signal after mutating call $n: exit $code, duplicates $dups; next apply exit $next, duplicates $after; destroy exit $destroy"
  done
  echo "SIG$signal points: $tried (apply ended before the signal: $missed); with a duplicate: $dup_points; next apply failed or left a duplicate: $failed_next; destroy failed: $failed_destroy"
done
