#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs awscli, moto, cfn-lint,
# jsonschema, docker-compose, tmux, chromium and postgresql (scripts/tools.sh), then runs every
# test — unit; integration against the X-Ray emulator and a moto server; awscli
# conformance; the app end to end; the frontend in headless Chromium (node/npm
# build it) — with cargo; then the wheel (scripts/wheel.sh)
# and the workflow lints (scripts/lint-workflows.sh).
#
# Plain `cargo test` runs only what needs nothing but Rust: the tests that need
# these tools are marked `#[ignore = "needs scripts/test.sh: TOOL"]` and listed as
# ignored there. This script runs them too (`--include-ignored`).
# Extra arguments go to cargo test: scripts/test.sh -- logs::
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
echo "==> cargo test (every test, including those that need the tools above)" >&2
if [[ " $* " == *" -- "* ]]; then
  cargo test --workspace --all-targets "$@" --include-ignored
else
  cargo test --workspace --all-targets "$@" -- --include-ignored
fi
# The PyPI wheel built, pip-installed into a fresh venv and run; the workflows linted.
bash scripts/wheel.sh
bash scripts/lint-workflows.sh
