#!/usr/bin/env bash
# Benchmarks, printed as figures and ratios against a baseline measured in
# the same run; nothing here asserts a speed.
#   1. converge: a cold run of harden.yml on a fresh lab container and an
#      idempotent second run, against `apt-get install redis-server` on
#      another fresh container (both install from the image's package cache).
#   2. TLS: redis-benchmark against the hardened server (TLS only, client
#      certificates required) as a ratio of a plaintext twin started from the
#      same redis.conf with TLS off, in the same container, with and without
#      pipelining.
#   3. job scan: redis-job-scan against detect-secrets on 100,000 jobs.
set -euo pipefail
cd "$(dirname "$0")/.."

image=localhost/redis-hardening/lab:bookworm
host=rh-bench-redis
baseline=rh-bench-baseline

cleanup() { podman rm --force --time 2 "$host" "$baseline" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

start() {
  podman run -d --name "$1" --hostname "$1" --systemd=always --cap-add NET_ADMIN \
    --label org.redis-hardening.lab=true "$image" /lib/systemd/systemd >/dev/null
  # systemd's bus appears a moment after the container starts.
  for _ in $(seq 60); do
    state=$(podman exec "$1" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) return 0 ;; esac
    sleep 0.5
  done
  echo "$1 did not finish booting" >&2
  return 1
}

seconds() { python3 -c 'import sys, time; print(f"{time.monotonic() - float(sys.argv[1]):.1f}")' "$1"; }

echo "== Converge benchmark (one fresh container each)"
start "$baseline"
t0=$(python3 -c 'import time; print(time.monotonic())')
podman exec "$baseline" apt-get install -y -q redis-server >/dev/null 2>&1
apt_time=$(seconds "$t0")

start "$host"
t0=$(python3 -c 'import time; print(time.monotonic())')
ansible-playbook -i bench/inventory.yml playbooks/harden.yml > .lab/bench-cold.log \
  || { tail -n 30 .lab/bench-cold.log >&2; exit 1; }
cold_time=$(seconds "$t0")

t0=$(python3 -c 'import time; print(time.monotonic())')
ansible-playbook -i bench/inventory.yml playbooks/harden.yml > .lab/bench-warm.log \
  || { tail -n 30 .lab/bench-warm.log >&2; exit 1; }
warm_time=$(seconds "$t0")

python3 - "$apt_time" "$cold_time" "$warm_time" <<'PY'
import sys

apt, cold, warm = (float(x) for x in sys.argv[1:])
print(f"{'stock apt-get install redis-server (baseline)':48}{apt:8.1f} s")
print(f"{'harden.yml, cold converge':48}{cold:8.1f} s   x{cold / apt:.1f} baseline")
print(f"{'harden.yml, idempotent re-run':48}{warm:8.1f} s   x{warm / apt:.1f} baseline")
PY

echo
echo "== TLS benchmark (redis-benchmark inside $host, TLS vs plaintext twin)"
bash scripts/bench-tls.sh "$host" .lab/secrets/bench-admin

echo
echo "== Job scan benchmark"
if ! python -c 'import detect_secrets' 2>/dev/null; then
  pip install --quiet --disable-pip-version-check -r requirements-bench.txt \
    2> >(grep -v 'is ignored: it is neither' >&2)
fi
python bench/bench_job_scan.py --jobs "${BENCH_JOBS:-100000}"
