"""The whole job, timed: `cruddur-obs init --yes` against the same job done with
awscli and curl (X-Ray group, sampling rule, log group with retention and tags, a
Honeycomb key check), against the same local servers, alternating, from scratch and
converged. Then the round trips on the critical path: every request delayed by 50 ms
through scripts/delay-proxy.py. Then the peak memory of `init`.

Run through scripts/bench.sh (it builds the release binaries and installs the tools).
usage: python3 scripts/bench_setup.py RUNS
"""
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
KEY = "hcaik_" + "d" * 58
DELAY_MS = 50


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return proc, proc.stdout.readline().strip()


def wait_http(url):
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except Exception:
            time.sleep(0.05)
    raise SystemExit(f"{url} never answered")


procs = []
xray, xray_url = start([os.path.join(BIN, "xray-emulator")])
hc, hc_url = start([sys.executable, os.path.join(ROOT, "scripts", "honeycomb-stub.py")])
moto_port = free_port()
moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(moto_port)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
moto_url = f"http://127.0.0.1:{moto_port}"
procs += [xray, hc, moto]
wait_http(moto_url + "/moto-api/")

proxies = {}
for name, url in [("xray", xray_url), ("moto", moto_url), ("hc", hc_url)]:
    proc, proxy_url = start([sys.executable, os.path.join(ROOT, "scripts", "delay-proxy.py"),
                             url.rsplit(":", 1)[1], str(DELAY_MS)])
    procs.append(proc)
    proxies[name] = proxy_url

empty = tempfile.mkdtemp()
for f in ("config", "credentials"):
    open(os.path.join(empty, f), "w").close()


def env_for(xray_ep, moto_ep, hc_ep):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HONEYCOMB_"))}
    env.update({
        "AWS_ACCESS_KEY_ID": "AKIDBENCH0000000000", "AWS_SECRET_ACCESS_KEY": "bench-secret-key",
        "AWS_REGION": "ca-central-1", "AWS_DEFAULT_REGION": "ca-central-1",
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_PAGER": "",
        "AWS_CONFIG_FILE": os.path.join(empty, "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(empty, "credentials"),
        "AWS_ENDPOINT_URL_XRAY": xray_ep, "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": moto_ep,
        "AWS_ENDPOINT_URL_STS": moto_ep,
        "HONEYCOMB_API_ENDPOINT": hc_ep, "HONEYCOMB_API_KEY": KEY,
    })
    return env


DIRECT = env_for(xray_url, moto_url, hc_url)
DELAYED = env_for(proxies["xray"], proxies["moto"], proxies["hc"])
RULE = os.path.join(ROOT, "templates", "xray-sampling-rule.json")


def reset():
    for url in (xray_url + "/_emulator/reset", moto_url + "/moto-api/reset"):
        urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=5)


def repo_copy():
    work = tempfile.mkdtemp()
    shutil.copytree(os.path.join(ROOT, "examples", "cruddur-like"), work, dirs_exist_ok=True)
    for sub in ("backend-flask", "frontend-react-js"):
        os.makedirs(os.path.join(work, sub), exist_ok=True)
    return work


def timed(cmds, env, cwd=None):
    t = time.perf_counter()
    for cmd in cmds:
        r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise SystemExit(f"{cmd[:3]} failed ({r.returncode}): {r.stderr.decode()[-500:]}")
    return time.perf_counter() - t


OBS = [[os.path.join(BIN, "cruddur-obs"), "init", "--yes"]]
AWS_FRESH = [
    ["aws", "xray", "create-group", "--group-name", "Cruddur",
     "--filter-expression", 'service("backend-flask")'],
    ["aws", "xray", "create-sampling-rule", "--cli-input-json", "file://" + RULE],
    ["aws", "logs", "create-log-group", "--log-group-name", "cruddur",
     "--tags", "project=cruddur,managed-by=cruddur-obs"],
    ["aws", "logs", "put-retention-policy", "--log-group-name", "cruddur", "--retention-in-days", "7"],
    ["curl", "-sf", "-o", "/dev/null", "-H", "X-Honeycomb-Team: " + KEY, hc_url + "/1/auth"],
]
AWS_CHECK = [
    ["aws", "xray", "get-group", "--group-name", "Cruddur"],
    ["aws", "xray", "get-sampling-rules"],
    ["aws", "logs", "describe-log-groups", "--log-group-name-prefix", "cruddur"],
    ["curl", "-sf", "-o", "/dev/null", "-H", "X-Honeycomb-Team: " + KEY, hc_url + "/1/auth"],
]


def ms(xs):
    return f"{statistics.median(xs) * 1000:7.1f} ms"


try:
    fresh_obs, fresh_aws, conv_obs, conv_aws = [], [], [], []
    for _ in range(RUNS):
        reset()
        fresh_obs.append(timed(OBS, DIRECT, repo_copy()))
        reset()
        fresh_aws.append(timed(AWS_FRESH, DIRECT))
    reset()
    converged_repo = repo_copy()
    timed(OBS, DIRECT, converged_repo)
    for _ in range(RUNS):
        conv_obs.append(timed(OBS, DIRECT, converged_repo))
        conv_aws.append(timed(AWS_CHECK, DIRECT))
    print(f"whole job from scratch ({RUNS} alternating runs, medians):")
    print(f"  cruddur-obs init --yes {ms(fresh_obs)}   awscli + curl {ms(fresh_aws)}"
          f"   ratio {statistics.median(fresh_aws) / statistics.median(fresh_obs):.1f}x")
    print("converged (nothing to do):")
    print(f"  cruddur-obs init --yes {ms(conv_obs)}   awscli + curl reads {ms(conv_aws)}"
          f"   ratio {statistics.median(conv_aws) / statistics.median(conv_obs):.1f}x")

    # Round trips on the critical path: (delayed - direct) / delay.
    trips_fresh, trips_conv = [], []
    for _ in range(RUNS):
        reset()
        direct = timed(OBS, DIRECT, repo_copy())
        reset()
        delayed = timed(OBS, DELAYED, repo_copy())
        trips_fresh.append((delayed - direct) / (DELAY_MS / 1000))
        direct = timed(OBS, DIRECT, converged_repo)
        delayed = timed(OBS, DELAYED, converged_repo)
        trips_conv.append((delayed - direct) / (DELAY_MS / 1000))
    print(f"round trips on the critical path ({DELAY_MS} ms added to every request, medians):")
    print(f"  fresh run {statistics.median(trips_fresh):.2f}   converged run {statistics.median(trips_conv):.2f}")

    reset()
    peak = subprocess.run(
        [sys.executable, "-c",
         "import resource,subprocess,sys;"
         "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"] + OBS[0],
        env=DIRECT, cwd=repo_copy(), capture_output=True, text=True).stdout.strip()
    print(f"peak memory of init --yes: {peak} KiB")
finally:
    for p in procs:
        p.kill()
