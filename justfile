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
