#!/usr/bin/env bash
# Usage: bench-tls.sh CONTAINER ADMIN_PASSWORD_FILE
#
# Throughput of the hardened server through TLS (its own port, protocols,
# ciphers and client-certificate check) as a ratio of plaintext. The
# plaintext figure comes from a twin: redis-server started from the same
# redis.conf and aclfile with TLS off, on a loopback port, in the same
# container, so both share CPU, persistence settings and users. Both are
# measured with and without pipelining. Prints figures; asserts nothing.
set -euo pipefail

host=$1
password=$(cat "$2")
twin=/tmp/bench-plain-twin
tls=/etc/redis/tls
requests=${BENCH_TLS_REQUESTS:-100000}
clients=${BENCH_TLS_CLIENTS:-50}
tests=set,get,lpush,rpop

podman exec "$host" sh -c "
  rm -rf $twin && install -d -o redis -g redis -m 0700 $twin &&
  runuser -u redis -- redis-server /etc/redis/redis.conf --port 6390 --tls-port 0 \
    --tls-replication no --bind 127.0.0.1 --unixsocket $twin/redis.sock \
    --dir $twin --pidfile $twin/redis.pid --logfile $twin/redis.log --daemonize yes"
trap 'podman exec "$host" sh -c "kill \$(cat $twin/redis.pid) 2>/dev/null; rm -rf $twin" || true' EXIT
sleep 1

# The bench container is thrown away; its generated password is bench-only.
run() {
  podman exec "$host" redis-benchmark -h 127.0.0.1 --user admin -a "$password" \
    -n "$requests" -c "$clients" -t "$tests" --csv "$@" 2>/dev/null
}
# The server's own certificate doubles as the client's (it allows clientAuth).
tls_args=(--tls --cacert "$tls/ca.crt" --cert "$tls/server.crt" --key "$tls/server.key")

results=$(mktemp)
for pipeline in 1 16; do
  run -p 6390 -P "$pipeline" | sed "s/^/plain,$pipeline,/" >> "$results"
  run -p 6379 -P "$pipeline" "${tls_args[@]}" | sed "s/^/tls,$pipeline,/" >> "$results"
done

python3 - "$results" "$requests" "$clients" <<'PY'
import csv
import sys

rates = {}
with open(sys.argv[1], newline="") as handle:
    for mode, pipeline, test, rps, *_ in csv.reader(handle):
        if test == "test":
            continue
        rates[(mode, int(pipeline), test.split()[0])] = float(rps)
print(f"{sys.argv[2]} requests per test, {sys.argv[3]} clients")
print(f"{'test':8}{'pipeline':>9}{'plaintext req/s':>17}{'TLS req/s':>12}{'TLS/plain':>11}")
for pipeline in (1, 16):
    for test in ("SET", "GET", "LPUSH", "RPOP"):
        plain = rates.get(("plain", pipeline, test))
        tls = rates.get(("tls", pipeline, test))
        if not plain or not tls:
            print(f"{test:8}{pipeline:>9}   missing figures")
            continue
        print(f"{test:8}{pipeline:>9}{plain:>17,.0f}{tls:>12,.0f}{tls / plain:>10.2f}x")
PY
rm -f "$results"
