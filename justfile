# Thin wrappers over scripts/: the scripts are what the README and CI run.

# Run the demo against a local moto server (default spec: specs/irb.yaml).
demo spec="specs/irb.yaml":
    scripts/demo.sh {{spec}}

# The whole test suite, moto included (what CI runs).
test:
    scripts/test.sh

# Formatting and lints, as CI expects them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Accept changed insta snapshots after reviewing them (needs cargo-insta).
accept:
    cargo insta accept

# Fault figures for docs/reliability.md: lost answers, throttling, races, invisibility on moto
# through scripts/faultproxy.py (default spec: specs/irb.yaml).
faults spec="specs/irb.yaml":
    scripts/faults.sh {{spec}}

# Requests, time and memory against the bound (issue 17): generated specs of about 10, 100,
# 1,000 and 5,000 resources on moto behind scripts/faultproxy.py (40 ms per request), through
# validate, plan, apply, a no-change plan and destroy. Options: sizes, `--latency MS`,
# `--buckets` (EC2's token buckets too), `--phases LIST`; RECON_BIN skips the release build.
bench *args:
    scripts/bench.sh {{args}}
