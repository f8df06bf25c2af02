#!/usr/bin/env bash
# The main job on the built-in lab: a stock Redis opened to the network and
# holding job data is audited, hardened and audited again; the key and job
# counts before and after must be equal. A second run finds the server
# hardened already and the playbook changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

reports=.lab/reports
mkdir -p "$reports"
log=.lab/demo-harden.log

step() { printf '\n==> %s\n' "$*"; }

step "Starting the lab (rh-lab-redis, rh-lab-app, rh-lab-outsider)"
ansible-playbook lab/up.yml >/dev/null

step "Installing a stock Redis opened to the network, with job data (first run only)"
ansible-playbook lab/stock-server.yml >/dev/null

step "Auditing before hardening"
ansible-playbook playbooks/audit.yml -e audit_report_dir="$PWD/$reports" \
  -e audit_report_name=before >/dev/null

step "Hardening with playbooks/harden.yml (log: $log)"
ansible-playbook playbooks/harden.yml | tee "$log" | grep -E '^(PLAY RECAP|rh-lab)' || {
  echo "harden.yml failed; see $log" >&2
  tail -n 30 "$log" >&2
  exit 1
}

step "Auditing after hardening"
ansible-playbook playbooks/audit.yml -e audit_report_dir="$PWD/$reports" \
  -e audit_report_name=after >/dev/null

before=$reports/before-rh-lab-redis.json
after=$reports/after-rh-lab-redis.json
step "Controls on rh-lab-redis"
redis-hardening-report --labels before,after "$before" "$after"

step "Data on rh-lab-redis"
python3 - "$before" "$after" <<'PY'
import json
import sys

before, after = (json.load(open(path))["keyspace"] for path in sys.argv[1:])
rows = [("keys (all databases)", before["total_keys"], after["total_keys"])]
rows += [
    (f"sidekiq {name}", before["sidekiq_jobs"][name], after["sidekiq_jobs"][name])
    for name in ("queued", "schedule", "retry", "dead")
]
print(f"{'':24}{'before':>10}{'after':>10}")
for name, old, new in rows:
    print(f"{name:24}{old:>10}{new:>10}{'' if old == new else '   LOST DATA'}")
if any(old != new for _, old, new in rows):
    sys.exit("Data changed during hardening.")
print("All keys and jobs kept.")
PY

changed=$(awk '/^rh-lab-redis/ { for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) print substr($i, 9) }' "$log")
step "harden.yml changed $changed task(s) on rh-lab-redis this run"
