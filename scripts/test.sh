#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs awscli and moto into .venv,
# then runs every test (unit; integration against the X-Ray emulator and a moto
# server; awscli conformance) with cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
echo "==> cargo test" >&2
cargo test --workspace --all-targets "$@"
