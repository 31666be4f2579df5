#!/usr/bin/env bash
# Benchmarks, all against local servers: start-up (--help), a compose edit of a
# generated 1,000-service file (6,000 lines), then the whole job by `init --yes`
# against awscli + curl, the round trips on the critical path (50 ms per request)
# and the peak memory of `init` (scripts/bench_setup.py).
# Usage: bash scripts/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
source scripts/tools.sh
cargo build --release --quiet --workspace --bins
bin="$PWD/target/release/cruddur-obs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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

root="$PWD"
cd "$work"
echo "lines in the compose file: $(wc -l < docker-compose.yml)"
echo "--help start-up:                    $(median "$bin" --help)"
echo "compose write --dry-run, 1,000 svc: $(median "$bin" compose write --region us-east-1 --dry-run)"
echo "peak memory of that edit:           $(peak_kb "$bin" compose write --region us-east-1 --dry-run) KiB"

cd "$root"
python3 scripts/bench_setup.py "$runs"
