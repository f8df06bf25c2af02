#!/usr/bin/python
# Copyright: redis-hardening contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit a Redis host against the redis-hardening control catalogue."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: redis_audit
short_description: Audit a Redis host against the control catalogue
description:
  - Reads the live configuration, ACL users, file modes and the systemd unit
    of a Redis server on the host it runs on, and evaluates every control of
    the redis-hardening catalogue (NET, AUTH, CMD, FS, PATCH, LOG, OPS).
  - PATCH-01 reads the installed package version with dpkg-query, so Debian
    security backports count, and names each CVE of the table that applies
    with its fixed version; where the table lacks a fixed version the
    status is V(unknown), never V(pass).
  - Changes nothing, on Redis or on disk; safe on stock servers and in check
    mode.
  - Findings say what is wrong and how to fix it, never a password, hash or
    stored value.
version_added: 0.1.0
author: redis-hardening contributors
requirements:
  - redis (the Python library; Debian package python3-redis)
  - Redis 7.0 or newer (ACL DRYRUN)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
options:
  login_unix_socket:
    description: Unix socket to reach Redis; used when it exists.
    type: path
    default: /run/redis/redis-server.sock
  login_host:
    description: Address to reach Redis when the socket does not exist.
    type: str
    default: 127.0.0.1
  login_port:
    description: Port to reach Redis when the socket does not exist.
    type: int
    default: 6379
  login_user:
    description: ACL user allowed to read the configuration (the admin).
    type: str
    default: default
  login_password:
    description:
      - Password of O(login_user). Without it, the audit can only read a
        server that lets unauthenticated clients in.
    type: str
  admin_users:
    description: Users allowed to run admin-class commands (CMD-01).
    type: list
    elements: str
    default: [admin]
  tls_renew_days:
    description:
      - TLS-04. A server certificate with fewer days left fails the control;
        keep it equal to the redis_tls role's C(redis_tls_renew_days).
    type: int
    default: 30
  config_file:
    description: Path of redis.conf; read from INFO when omitted.
    type: path
  service:
    description: systemd unit of the server.
    type: str
    default: redis-server
  waivers:
    description: Controls deliberately not enforced, reported as waived.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Control ID.
        type: str
        required: true
      reason:
        description: Why it is waived.
        type: str
        required: true
  fail_on:
    description:
      - Fail the task when a control of at least this severity fails.
      - V(none) only reports.
    type: str
    choices: [none, low, medium, high, critical]
    default: none
"""

EXAMPLES = r"""
- name: Audit the server with the admin's credentials
  jobqueue.redis_hardening.redis_audit:
    login_user: admin
    login_password: "{{ redis_server_admin_password }}"
  register: audit

- name: Fail the play on any critical finding
  jobqueue.redis_hardening.redis_audit:
    login_user: admin
    login_password: "{{ redis_server_admin_password }}"
    fail_on: critical
"""

RETURN = r"""
controls:
  description: One entry per catalogue control.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Control ID, such as NET-01.
      type: str
    title:
      description: What the control requires.
      type: str
    severity:
      description: low, medium, high or critical.
      type: str
    status:
      description: pass, fail, waived, unknown, error or not evaluated.
      type: str
    detail:
      description: What was found.
      type: str
    fix:
      description: How to fix a failure.
      type: str
summary:
  description: Number of controls per status.
  returned: success
  type: dict
  sample: {"pass": 11, "not evaluated": 19}
redis_version:
  description: Version the server reports.
  returned: success
  type: str
keyspace:
  description: Key counts per database and Sidekiq job counts.
  returned: success
  type: dict
  sample:
    keys: {"db0": 5230}
    total_keys: 5230
    sidekiq_jobs: {"queued": 400, "schedule": 50, "retry": 25, "dead": 10}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.audit import (
    evaluate,
    failing_at_or_above,
    summary,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.audit_probe import (
    ProbeError,
    gather,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "login_unix_socket": {
                "type": "path",
                "default": "/run/redis/redis-server.sock",
            },
            "login_host": {"type": "str", "default": "127.0.0.1"},
            "login_port": {"type": "int", "default": 6379},
            "login_user": {"type": "str", "default": "default"},
            "login_password": {"type": "str", "no_log": True},
            "admin_users": {"type": "list", "elements": "str", "default": ["admin"]},
            "tls_renew_days": {"type": "int", "default": 30},
            "config_file": {"type": "path"},
            "service": {"type": "str", "default": "redis-server"},
            "waivers": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "id": {"type": "str", "required": True},
                    "reason": {"type": "str", "required": True},
                },
            },
            "fail_on": {
                "type": "str",
                "default": "none",
                "choices": ["none", "low", "medium", "high", "critical"],
            },
        },
        supports_check_mode=True,
    )
    try:
        snapshot = gather(module.params)
    except ProbeError as exc:
        module.fail_json(msg=f"Could not audit Redis: {exc}.")

    snapshot["tls_renew_days"] = module.params["tls_renew_days"]
    waivers = {w["id"]: w["reason"] for w in module.params["waivers"]}
    findings = evaluate(snapshot, waivers)
    result = {
        "changed": False,
        "controls": [f.as_dict() for f in findings],
        "summary": summary(findings),
        "redis_version": snapshot["redis_version"],
        "keyspace": snapshot["keyspace"],
    }
    if module.params["fail_on"] != "none":
        failed = failing_at_or_above(findings, module.params["fail_on"])
        if failed:
            ids = ", ".join(f.id for f in failed)
            module.fail_json(
                msg=f"Controls at or above {module.params['fail_on']} severity "
                f"failed: {ids}.",
                **result,
            )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
