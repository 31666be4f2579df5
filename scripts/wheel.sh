#!/usr/bin/env bash
# The PyPI package, end to end, offline: builds the wheel with maturin (into
# target/wheels), installs it with pip into a fresh venv (--no-index) and runs the
# INSTALLED binary: `--version` (Cargo.toml's version) and `plan` on a copy of the
# sample app against local stand-ins (the X-Ray emulator, a moto server for
# CloudWatch Logs and STS, scripts/honeycomb-stub.py). Checks too that the wheel
# holds exactly one executable, that `pip show` has the metadata, and that the
# release archive scripts/release-archive.py makes from the wheel is the one
# Cargo.toml's [package.metadata.binstall] names (`cargo binstall`).
#
# The wheel is built with the dev profile by default: maturin then reuses what
# `cargo test` already built in target/debug (seconds, not the ~5 minutes of a
# release build); it is still a real wheel, installed and run. The release
# workflow builds --release. WHEEL_PROFILE=release bash scripts/wheel.sh tries that.
# Called by scripts/test.sh after cargo test; runs on its own too.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
root=$PWD
target_dir=${CARGO_TARGET_DIR:-$root/target}
profile=${WHEEL_PROFILE:-dev}
passed=0 failed=0
pass() { echo "wheel: ok: $*" >&2; passed=$((passed + 1)); }
fail() { echo "wheel: FAIL: $*" >&2; failed=$((failed + 1)); }
now() { date +%s.%N; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

# What Cargo.toml says (one source of truth for the version).
eval "$(python3 - <<'PY'
import shlex, tomllib
pkg = tomllib.load(open("Cargo.toml", "rb"))["package"]
for key in ("version", "description", "repository", "license"):
    print(f"cargo_{key}={shlex.quote(pkg[key])}")
PY
)"

work=$(mktemp -d)
pids=""
cleanup() { [ -z "$pids" ] || kill $pids 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# 1. Build the wheel.
wheels="$target_dir/wheels"
mkdir -p "$wheels"
rm -f "$wheels"/cruddur_obs-*.whl
# --strip for the dev profile: a 13 MB wheel instead of 80 MB of debug info (the
# release profile strips already); it only relinks the binary.
strip=()
[ "$profile" = release ] || strip=(--strip)
echo "==> maturin build --profile $profile ${strip[*]} (maturin $(maturin --version | awk '{print $2}'))" >&2
t0=$(now)
maturin build --quiet --profile "$profile" "${strip[@]}" --out "$wheels" >&2
build_s=$(secs "$t0" "$(now)")
shopt -s nullglob
built=("$wheels"/cruddur_obs-"$cargo_version"-*.whl)
shopt -u nullglob
if [ "${#built[@]}" -ne 1 ]; then
  fail "expected one wheel cruddur_obs-$cargo_version-*.whl in $wheels, found ${#built[@]}"
  echo "wheel: $passed passed, $failed failed"
  exit 1
fi
wheel=${built[0]}
echo "    $(basename "$wheel"): $(du -k "$wheel" | cut -f1) KiB, built in ${build_s}s" >&2

# 2. Exactly one executable, cruddur-obs (never the test-only xray-emulator).
if scripts=$(python3 - "$wheel" <<'PY'
import sys, zipfile
names = [n for n in zipfile.ZipFile(sys.argv[1]).namelist() if ".data/scripts/" in n]
print(" ".join(names))
sys.exit(0 if len(names) == 1 and names[0].endswith("/scripts/cruddur-obs") else 1)
PY
); then
  pass "the wheel holds one executable: $scripts"
else
  fail "the wheel must hold exactly one executable, .data/scripts/cruddur-obs; it holds: ${scripts:-none}"
fi

# 3. A fresh venv, the wheel pip-installed offline, the installed binary run.
venv="$work/venv"
t_start=$(now)
python3 -m venv "$venv"
t_venv=$(now)
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-index --no-deps "$wheel"
t_pip=$(now)
installed="$venv/bin/cruddur-obs"
got=$(PATH="$venv/bin:/usr/bin:/bin" cruddur-obs --version 2>&1) || true
t_version=$(now)
if [ "$(PATH="$venv/bin:/usr/bin:/bin" command -v cruddur-obs)" = "$installed" ] \
  && [ "$got" = "cruddur-obs $cargo_version" ]; then
  pass "the installed $installed --version says: $got"
else
  fail "the installed cruddur-obs --version says '$got', not 'cruddur-obs $cargo_version'"
fi

# 4. `plan` of the installed binary, on a copy of the sample app, against local
# stand-ins (as scripts/demo.sh). Exit 0 (nothing to do) or 3 (changes planned).
compose=(examples/*/docker-compose.yml)
app="$work/app"
mkdir -p "$app" "$work/home"
cp -r "$(dirname "${compose[0]}")"/. "$app/"
mkdir -p "$app/backend-flask" "$app/frontend-react-js"
emulator="$target_dir/debug/xray-emulator"
[ -x "$emulator" ] || cargo build --quiet -p xray-emulator >&2
"$emulator" > "$work/xray-url" &
pids=$!
python3 scripts/honeycomb-stub.py > "$work/honeycomb-url" &
pids="$pids $!"
moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$moto_port" > "$work/moto.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 200); do
  [ -s "$work/xray-url" ] && [ -s "$work/honeycomb-url" ] \
    && curl -s -o /dev/null "http://127.0.0.1:$moto_port/moto-api/" && break
  sleep 0.05
done
t_plan0=$(now)
set +e
(
  cd "$app"
  # Nothing from this shell: no real AWS profile, Honeycomb or Rollbar key.
  env -i PATH="$venv/bin:/usr/bin:/bin" HOME="$work/home" \
    AWS_ACCESS_KEY_ID=AKIDLOCALWHEEL000000 AWS_SECRET_ACCESS_KEY=local-wheel-secret-key \
    AWS_EC2_METADATA_DISABLED=true AWS_REGION=ca-central-1 \
    AWS_ENDPOINT_URL_XRAY="$(head -1 "$work/xray-url")" \
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS="http://127.0.0.1:$moto_port" \
    AWS_ENDPOINT_URL_STS="http://127.0.0.1:$moto_port" \
    HONEYCOMB_API_ENDPOINT="$(head -1 "$work/honeycomb-url")" \
    HONEYCOMB_API_KEY="hcaik_$(printf 'd%.0s' $(seq 58))" \
    cruddur-obs plan
) > "$work/plan.out" 2>&1
plan_rc=$?
set -e
t_plan=$(now)
if [ "$plan_rc" -eq 0 ] || [ "$plan_rc" -eq 3 ]; then
  pass "the installed cruddur-obs plan ran (exit $plan_rc, $(wc -l < "$work/plan.out") lines)"
else
  sed 's/^/    /' "$work/plan.out" >&2
  fail "the installed cruddur-obs plan exited $plan_rc (0 or 3 expected; output above)"
fi

# 5. pip show: the metadata from pyproject.toml and Cargo.toml.
show=$("$venv/bin/pip" show --disable-pip-version-check --verbose cruddur-obs 2>&1) || true
field() { sed -n "s/^$1: //p" <<<"$show" | head -1; }
problems=""
[ "$(field Version)" = "$cargo_version" ] || problems="$problems; Version '$(field Version)' is not '$cargo_version'"
[ "$(field Summary)" = "$cargo_description" ] || problems="$problems; Summary '$(field Summary)' is not Cargo.toml's description"
# pyproject.toml gives the license as an SPDX expression (PEP 639: the field
# License-Expression); pip before 25.1 shows only the old License field, so read the
# installed METADATA then.
license=$(field License-Expression)
[ -n "$license" ] || license=$(field License)
[ -n "$license" ] || license=$("$venv/bin/python" -c \
  'import importlib.metadata as m; print(m.metadata("cruddur-obs")["License-Expression"] or "")')
[ "$license" = "$cargo_license" ] || problems="$problems; License '$license' is not '$cargo_license'"
grep -Eq "^(Home-page: |Project-URLs?: .*|  [A-Za-z]+, )$cargo_repository" <<<"$show" \
  || problems="$problems; no Home-page or Project-URL is $cargo_repository"
if [ -z "$problems" ]; then
  pass "pip show: $cargo_version, '$(field Summary)', license $license, URLs at $cargo_repository"
else
  sed 's/^/    /' <<<"$show" >&2
  fail "pip show (above)${problems}"
fi

# 6. The release archive made from this wheel is the one cargo binstall fetches:
# its name is Cargo.toml's pkg-url, its binary sits at bin-dir, its .sha256 checks.
host=$(rustc -vV | sed -n 's/^host: //p')
archive=$(python3 scripts/release-archive.py "$wheel" "$host" "$work/archives")
if expect=$(python3 - "$host" "$archive" <<'PY'
import os, sys, tomllib
target, archive = sys.argv[1], sys.argv[2]
pkg = tomllib.load(open("Cargo.toml", "rb"))["package"]
meta = dict(pkg["metadata"]["binstall"])
meta.update(meta.pop("overrides", {}).get(target, {}))
suffixes = {"tgz": [".tgz", ".tar.gz"], "zip": [".zip"]}[meta["pkg-fmt"]]
values = {"repo": pkg["repository"], "name": pkg["name"], "version": pkg["version"],
          "target": target, "bin": "cruddur-obs",
          "binary-ext": ".exe" if "windows" in target else ""}
def render(template, **extra):
    out = template
    for key, value in {**values, **extra}.items():
        out = out.replace("{ %s }" % key, value)
    assert "{" not in out, out
    return out
urls = [render(meta["pkg-url"], **{"archive-suffix": s}) for s in suffixes]
prefix = f"{pkg['repository']}/releases/download/v{pkg['version']}/"
names = [u[len(prefix):] for u in urls if u.startswith(prefix)]
print(render(meta["bin-dir"]))
sys.exit(0 if os.path.basename(archive) in names else 1)
PY
); then
  mkdir -p "$work/unpacked"
  tar -xzf "$archive" -C "$work/unpacked"
  if (cd "$(dirname "$archive")" && sha256sum --quiet -c "$(basename "$archive").sha256") \
    && [ "$("$work/unpacked/$expect" --version)" = "cruddur-obs $cargo_version" ] \
    && cmp -s "$work/unpacked/$expect" "$installed"; then
    pass "release archive $(basename "$archive") is binstall's pkg-url; $expect runs; sha256 checks"
  else
    fail "release archive $(basename "$archive"): no runnable $expect in it equal to the wheel's binary, or its .sha256 does not check"
  fi
else
  fail "release archive $(basename "$archive") is not the file Cargo.toml's binstall pkg-url names for $host"
fi

echo "==> times: wheel build (profile $profile) ${build_s}s; fresh venv $(secs "$t_start" "$t_venv")s" \
  "+ pip install $(secs "$t_venv" "$t_pip")s + --version $(secs "$t_pip" "$t_version")s" \
  "+ plan $(secs "$t_plan0" "$t_plan")s = nothing to a working plan in" \
  "$(python3 -c "import sys; a=[float(x) for x in sys.argv[1:]]; print(f'{a[1]-a[0]+a[3]-a[2]:.2f}')" \
    "$t_start" "$t_version" "$t_plan0" "$t_plan")s (the stand-ins' start-up not counted)" >&2
echo "wheel: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
