#!/usr/bin/env bash
# The whole test suite: unit tests, the in-memory provider's tests, snapshot tests, the bad-spec
# corpus, and the integration tests that run the real binary and SDK against a local moto server.
# Needs only Rust and Python 3. One cargo invocation builds and runs everything (dev profile).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/moto.sh

moto_install
moto_start

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}" INSTA_UPDATE=no
# A CI run builds once from a clean clone: incremental compilation's cache would only cost disk
# (gigabytes beside the build) and time.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"; fi
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
