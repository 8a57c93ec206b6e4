#!/usr/bin/env bash
# The demo: builds recon and runs validate, plan, apply, plan again (no changes) and destroy
# against a local moto server, printing each step. Usage: scripts/demo.sh [SPEC] [ARGS...]
# ARGS choose the environment of a file that defines several, and its values:
#   scripts/demo.sh specs/platform.yaml --env staging [--set nat_per_az=false]
#   scripts/demo.sh specs/catalog/project.yaml --values specs/catalog/projects/alpha.yaml
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/moto.sh
SPEC="${1:-specs/irb.yaml}"
shift $(( $# > 0 ? 1 : 0 ))
ARGS=("$@")

moto_install
echo "==> Building recon"
# Every target of the workspace, as the test suite builds it: dev-dependencies change the
# features of shared crates (tokio, serde), and `-p recon` alone would build the AWS SDK crates
# a second time. This way the demo and `scripts/test.sh` share one build.
echo "    (the first build compiles the AWS SDK: 10-15 minutes on two cores; later builds take seconds)"
cargo build --workspace --all-targets
RECON="$(realpath "${CARGO_TARGET_DIR:-$PWD/target}/debug/recon")"
moto_start

WORK="$(mktemp -d -t recon-demo.XXXXXX)"
PLAN="$WORK/plan.json"
# Run in a scratch directory: what recon writes there (created private keys, the teardown
# record) does not clutter the repository, and a second demo starts clean.
ROOT="$PWD"
SPEC="$(realpath "$SPEC")"
# A values file is named from here: make it absolute before leaving.
for i in "${!ARGS[@]}"; do
  if [ "${ARGS[$i]}" = "--values" ] && [ -n "${ARGS[$((i + 1))]:-}" ]; then
    ARGS[$((i + 1))]="$(realpath "${ARGS[$((i + 1))]}")"
  fi
done
cd "$WORK"
shown() { sed -e "s|$RECON|recon|" -e "s|$ROOT/||" -e "s|$WORK/||"; }
step() { printf '\n\033[1m$ %s\033[0m\n' "$*" | shown; "$@"; }
[ -n "${NO_COLOR:-}" ] && step() { printf '\n$ %s\n' "$*" | shown; "$@"; }

step "$RECON" validate "$SPEC" "${ARGS[@]}"
step "$RECON" plan "$SPEC" "${ARGS[@]}" --out "$PLAN"
step "$RECON" apply --plan "$PLAN"
step "$RECON" plan "$SPEC" "${ARGS[@]}" --out "$PLAN" --detailed-exitcode
step "$RECON" destroy "$SPEC" "${ARGS[@]}" --auto-approve
echo
echo "==> Demo finished: planned, applied, re-planned with no changes, destroyed and verified."
echo "==> What recon wrote (plan, teardown record, any created private key) is in $WORK"
