#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs awscli and moto into .venv,
# then runs every test (unit, integration against the X-Ray emulator, awscli
# conformance) with cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
stamp="$venv/.requirements"
if ! cmp -s scripts/requirements-test.txt "$stamp" 2>/dev/null; then
  echo "==> installing test tools into $venv (awscli, moto)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
  cp scripts/requirements-test.txt "$stamp"
fi
export PATH="$PWD/$venv/bin:$PATH"
export CRUDDUR_OBS_AWSCLI="$PWD/$venv/bin/aws"

echo "==> cargo test" >&2
cargo test --all-targets "$@"
