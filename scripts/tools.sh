#!/usr/bin/env bash
# Installs the real parts the tests and the demo run against: awscli, moto and
# jsonschema into .venv (once per version of scripts/requirements-test.txt), and
# Debian's docker-compose (v1, validates compose files without a Docker engine),
# tmux (drives the init wizard on a real terminal) and chromium (the frontend's
# tracing, end to end in a headless browser; node and npm build that frontend).
# Source it: it puts .venv/bin first on PATH.
venv=.venv
stamp="$venv/.requirements"
if ! cmp -s scripts/requirements-test.txt "$stamp" 2>/dev/null; then
  echo "==> installing awscli and moto into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
  cp scripts/requirements-test.txt "$stamp"
fi
export PATH="$PWD/$venv/bin:$PATH"
export CRUDDUR_OBS_AWSCLI="$PWD/$venv/bin/aws"
export CRUDDUR_OBS_MOTO_SERVER="$PWD/$venv/bin/moto_server"

missing=""
command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
# PostgreSQL's server (initdb, postgres): the week-4 backend's queries are traced against it.
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
  || missing="$missing postgresql"
# Chromium: the React frontend's spans are sent by a real browser (tests/it/frontend_browser.rs).
# A Chrome already there does (GitHub's Ubuntu runners have google-chrome; Ubuntu's own
# chromium package is a snap wrapper); else Debian's chromium.
chrome_in_path() {
  command -v chromium || command -v chromium-browser || command -v google-chrome \
    || command -v google-chrome-stable
}
chrome_in_path >/dev/null 2>&1 || missing="$missing chromium"
if [ -n "$missing" ]; then
  echo "==> installing$missing (Debian packages)" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
fi
export CRUDDUR_OBS_DOCKER_COMPOSE="$(command -v docker-compose)"
export CRUDDUR_OBS_PYTHON="$PWD/$venv/bin/python"
export CRUDDUR_OBS_CFN_LINT="$PWD/$venv/bin/cfn-lint"
export CRUDDUR_OBS_CHROMIUM="$(chrome_in_path)"
