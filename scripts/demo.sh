#!/usr/bin/env bash
# The main job, end to end, locally: starts the X-Ray emulator and a moto server
# (CloudWatch Logs), copies the sample Cruddur repo (examples/cruddur-week1) to a
# temp dir, and runs cruddur-obs on it: the X-Ray group, the sampling rule from the
# repo's aws/json/xray.json and the `cruddur` log group with a retention, twice
# (the second run changes nothing), then the status.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
cargo build --quiet --bins
bin="$PWD/target/debug"

work=$(mktemp -d)
cp -r examples/cruddur-week1/. "$work/"
"$bin/xray-emulator" > "$work/.emulator-url" &
emulator=$!
moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/.moto.log" 2>&1 &
moto=$!
trap 'kill $emulator $moto 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  [ -s "$work/.emulator-url" ] && curl -s -o /dev/null "http://127.0.0.1:$moto_port/moto-api/" && break
  sleep 0.1
done
xray_url=$(head -1 "$work/.emulator-url")
export AWS_ENDPOINT_URL_XRAY="$xray_url"
export AWS_ENDPOINT_URL_CLOUDWATCH_LOGS="http://127.0.0.1:$moto_port"

# Fake credentials: everything goes to the local servers.
export AWS_ACCESS_KEY_ID=AKIDLOCALDEMO AWS_SECRET_ACCESS_KEY=local-demo-secret
export AWS_EC2_METADATA_DISABLED=true AWS_REGION=ca-central-1
cd "$work"
obs() { echo "\$ cruddur-obs $*"; "$bin/cruddur-obs" "$@"; echo; }

obs xray create-group --dry-run || true
for run in first second; do
  echo "# $run run"
  obs xray create-group
  obs xray create-sampling-rule --cli-input-json file://aws/json/xray.json
  obs logs create-group cruddur --retention-days 7
done
obs xray status --cli-input-json file://aws/json/xray.json --output json
obs logs status
