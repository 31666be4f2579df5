#!/usr/bin/env bash
# The main job, end to end, locally: starts the X-Ray emulator, a moto server
# (CloudWatch Logs, STS) and a Honeycomb stub, copies the sample Cruddur repo
# (examples/cruddur-like, our sample app in the shape of the course's week 1) to a temp dir, and runs
# `cruddur-obs init --yes` on it: the plan, the result (cloud, compose, Gitpod and
# the backend's lib/observability.py), a second run that changes nothing, `status`, and
# `verify` (one test record into X-Ray, CloudWatch Logs and Honeycomb, read back).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
cargo build --quiet --workspace --bins
bin="$PWD/target/debug"

work=$(mktemp -d)
cp -r examples/cruddur-like/. "$work/"
mkdir -p "$work/backend-flask" "$work/frontend-react-js"
"$bin/xray-emulator" > "$work/.xray-url" &
pids=$!
python3 scripts/honeycomb-stub.py > "$work/.honeycomb-url" &
pids="$pids $!"
moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/.moto.log" 2>&1 &
pids="$pids $!"
trap 'kill $pids 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  [ -s "$work/.xray-url" ] && [ -s "$work/.honeycomb-url" ] \
    && curl -s -o /dev/null "http://127.0.0.1:$moto_port/moto-api/" && break
  sleep 0.1
done

# Fake credentials: everything goes to the local servers.
export AWS_ACCESS_KEY_ID=AKIDLOCALDEMO000000 AWS_SECRET_ACCESS_KEY=local-demo-secret-key
export AWS_EC2_METADATA_DISABLED=true AWS_REGION=ca-central-1
# What `gp env AWS_DEFAULT_REGION=...` gives the app (status checks it).
export AWS_DEFAULT_REGION=ca-central-1
export AWS_ENDPOINT_URL_XRAY=$(head -1 "$work/.xray-url")
export AWS_ENDPOINT_URL_CLOUDWATCH_LOGS="http://127.0.0.1:$moto_port"
export AWS_ENDPOINT_URL_STS="http://127.0.0.1:$moto_port"
export HONEYCOMB_API_ENDPOINT=$(head -1 "$work/.honeycomb-url")
export HONEYCOMB_API_KEY="hcaik_$(printf 'd%.0s' $(seq 58))"
cd "$work"
obs() { echo "\$ cruddur-obs $*"; "$bin/cruddur-obs" "$@" || echo "(exit $?)"; echo; }

obs plan
obs init --yes
# init also instrumented the backend (app write): the module and the two lines.
echo "\$ grep -n init_observability backend-flask/app.py"; grep -n init_observability backend-flask/app.py; echo
echo "\$ head -6 backend-flask/lib/observability.py"; head -6 backend-flask/lib/observability.py; echo
obs init --yes
obs status
obs honeycomb send-test-span
obs verify --without rollbar --wait 5
