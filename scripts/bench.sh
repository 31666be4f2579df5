#!/usr/bin/env bash
# Benchmarks, all against local servers: start-up (--help), a compose edit of a
# generated 1,000-service file (6,000 lines), then the whole job by `init --yes`
# against awscli + curl, the round trips on the critical path (50 ms per request)
# and the peak memory of `init` (scripts/bench_setup.py); last, the install: from
# a fresh venv to the first `cruddur-obs --help` through the release wheel, next to
# a clean `cargo install --path .` (fresh target dir: ~5 minutes on 2 cores, so
# only with --cargo-install).
# Usage: bash scripts/bench.sh [RUNS] [--cargo-install] [--install-only]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20 cargo_install="" install_only=""
for arg in "$@"; do
  case "$arg" in
    --cargo-install) cargo_install=1 ;;
    --install-only) install_only=1 ;;
    *) runs=$arg ;;
  esac
done
source scripts/tools.sh
root="$PWD"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The install: pip of the release wheel into a fresh venv, to the first --help
# (median of 3), and a clean cargo install. Run last, or alone (--install-only).
bench_install() {
  cd "$root"
  maturin build --quiet --release --out "$work/wheels" >&2
  local wheel
  wheel=$(ls "$work"/wheels/cruddur_obs-*.whl)
  python3 - "$wheel" "$work/venvs" <<'PY'
import os, shutil, statistics, subprocess, sys, time
wheel, base = sys.argv[1], sys.argv[2]
rows = []
for i in range(3):
    venv = os.path.join(base, str(i))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    t1 = time.perf_counter()
    subprocess.run([f"{venv}/bin/pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-index", "--no-deps", wheel], check=True)
    t2 = time.perf_counter()
    subprocess.run([f"{venv}/bin/cruddur-obs", "--help"], check=True, stdout=subprocess.DEVNULL)
    t3 = time.perf_counter()
    rows.append((t3 - t0, t1 - t0, t2 - t1, t3 - t2))
    shutil.rmtree(venv)
total, venv_s, pip_s, help_s = (statistics.median(c) for c in zip(*rows))
size = os.path.getsize(wheel) / 1e6
print(f"fresh venv to first --help (wheel):  {total:.2f} s (venv {venv_s:.2f} + pip install "
      f"{pip_s:.2f} + --help {help_s * 1000:.0f} ms; median of 3; wheel {size:.1f} MB)")
PY
  if [ -n "$cargo_install" ]; then
    /usr/bin/time -f "%e %U %S" -o "$work/cargo-time" \
      env CARGO_TARGET_DIR="$work/cargo-target" cargo install --quiet --locked --path . --root "$work/cargo-root"
    read -r wall user sys < "$work/cargo-time"
    "$work/cargo-root/bin/cruddur-obs" --help > /dev/null
    echo "clean cargo install --path . to --help: ${wall} s wall (${user} user + ${sys} sys CPU s; installs: $(ls "$work/cargo-root/bin" | tr '\n' ' '))"
    rm -rf "$work/cargo-target"
  else
    echo "clean cargo install --path .:          skipped (add --cargo-install; ~5 min on 2 cores)"
  fi
}
if [ -n "$install_only" ]; then
  bench_install
  exit 0
fi

cargo build --release --quiet --workspace --bins
bin="$PWD/target/release/cruddur-obs"

python3 - "$work/docker-compose.yml" <<'PY'
import sys
lines = ["services:", "  backend-flask:", "    build: ./backend-flask", "    environment:",
         '      FRONTEND_URL: "http://localhost:3000"  # the UI']
for i in range(999):
    lines += [f"  svc-{i}:  # service {i}", f'    image: "nginx:{i % 7}"', "    environment:",
              f'      N: "{i}"', "    ports:", f'      - "{10000 + i}:80"']
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY

median() {  # median wall time in ms of running "$@" $runs times
  python3 - "$runs" "$@" <<'PY'
import statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
print(f"{statistics.median(times):.1f} ms (min {min(times):.1f}, max {max(times):.1f}, {runs} runs)")
PY
}
peak_kb() {  # peak resident memory of one run of "$@", in KiB
  python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}

cd "$work"
echo "lines in the compose file: $(wc -l < docker-compose.yml)"
echo "--help start-up:                    $(median "$bin" --help)"
echo "compose write --dry-run, 1,000 svc: $(median "$bin" compose write --region us-east-1 --dry-run)"
echo "peak memory of that edit:           $(peak_kb "$bin" compose write --region us-east-1 --dry-run) KiB"

cd "$root"
python3 scripts/bench_setup.py "$runs"

bench_install
