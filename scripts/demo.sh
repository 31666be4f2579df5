#!/usr/bin/env bash
# The main job, end to end, locally: starts the X-Ray emulator, copies the sample
# Cruddur repo (examples/cruddur-week1) to a temp dir, and runs cruddur-obs on it:
# the X-Ray group and the sampling rule from the repo's aws/json/xray.json, twice
# (the second run changes nothing), then the status.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --bins
bin="$PWD/target/debug"

work=$(mktemp -d)
cp -r examples/cruddur-week1/. "$work/"
"$bin/xray-emulator" > "$work/.emulator-url" &
emulator=$!
trap 'kill $emulator 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$work/.emulator-url" ] && break; sleep 0.1; done
url=$(head -1 "$work/.emulator-url")

# Fake credentials: everything goes to the local emulator.
export AWS_ACCESS_KEY_ID=AKIDLOCALDEMO AWS_SECRET_ACCESS_KEY=local-demo-secret
export AWS_EC2_METADATA_DISABLED=true AWS_REGION=ca-central-1
cd "$work"
obs() { echo "\$ cruddur-obs $*" | sed "s#$url#\$EMULATOR#"; "$bin/cruddur-obs" "$@" --endpoint-url "$url"; echo; }

obs xray create-group --dry-run || true
obs xray create-group
obs xray create-sampling-rule --cli-input-json file://aws/json/xray.json
obs xray create-group
obs xray create-sampling-rule --cli-input-json file://aws/json/xray.json
obs xray status --output json
