#!/usr/bin/python
# Copyright: contributors to jobqueue.redis_hardening
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: scan job-queue data in Redis for sensitive values."""

# Ansible modules carry a shebang without being executable.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: redis_job_scan
short_description: Find sensitive values in Sidekiq, RQ and Celery jobs stored in Redis
version_added: "0.1.0"
description:
  - Walks a live Redis database read-only and inspects job payloads of Sidekiq
    (queues, C(schedule), C(retry) and C(dead) sets), RQ (C(rq:job:*) hashes and
    C(rq:queue:*) lists) and Celery (the C(celery) list, Kombu-bound queues, priority
    sub-queues and the C(unacked) hash) (control DATA-01).
  - Detects payment card numbers (Luhn and issuer checked), IBANs (mod-97), AWS,
    GitHub, Slack and Stripe keys and tokens, private-key blocks, JWTs, passwords in
    URLs, values of fields named like password, secret, token or api_key,
    random-looking values of key-like fields, e-mail addresses, US SSNs and UK
    national insurance numbers.
  - A finding names the data type, the Redis key, the job class, the job ID and the
    argument path, plus a keyed fingerprint (HMAC-SHA256) so that repeats group; the
    value itself is never returned.
  - Job arguments encrypted in the collection's C(jqenc) envelope (AES-256-GCM, see
    the C(job_envelope) module utility) are counted by key version instead of flagged,
    so a key version can be retired once no job uses it (control DATA-02).
  - Reports the size of the Sidekiq C(retry) and C(dead) sets and the age of their
    oldest job against thresholds; breaches are returned as DATA-03 findings.
  - Only SCAN, TYPE, LLEN, LRANGE, ZCARD, ZRANGE, HSCAN, HGETALL, SSCAN and PING are
    sent, never KEYS; a user with only these commands (C(-@all) plus each of them,
    key pattern C(~*)) is enough. Add C(+select) when O(db) is not 0.
  - Memory stays flat whatever the queue sizes, since entries are read in pages and
    findings are capped by O(max_findings).
author:
  - redis-hardening contributors
requirements:
  - redis (redis-py) 4.3 or later on the host that runs the module
notes:
  - RQ and Celery pickles are never unpickled; only the string and integer constants in
    their opcode stream are inspected, so secrets built at unpickle time are missed.
  - A live queue moves during the scan; entries pushed or popped between pages can be
    missed or seen twice.
  - Jobs being executed, Celery results and RQ failure registries are not read.
attributes:
  check_mode:
    support: full
    details: The module never writes; check mode runs the same read-only scan.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  login_host:
    description: Host name or address of the Redis server.
    type: str
    default: localhost
  login_port:
    description: TCP port of the Redis server.
    type: int
    default: 6379
  login_unix_socket:
    description:
      - Path of a Redis unix socket; when set, O(login_host) and O(login_port) are
        ignored.
    type: path
  login_user:
    description: ACL user name; the C(default) user when omitted.
    type: str
  login_password:
    description: Password of O(login_user).
    type: str
  db:
    description: Database number to scan.
    type: int
    default: 0
  tls:
    description: Connect with TLS.
    type: bool
    default: false
  validate_certs:
    description: Verify the server certificate when O(tls=true).
    type: bool
    default: true
  ca_certs:
    description: CA bundle that signed the server certificate.
    type: path
  client_cert_file:
    description: Client certificate for mutual TLS.
    type: path
  client_key_file:
    description: Private key of O(client_cert_file).
    type: path
  connect_timeout:
    description: Seconds to wait for the connection and for each reply.
    type: float
    default: 10
  families:
    description: Job families to scan.
    type: list
    elements: str
    choices: [sidekiq, rq, celery]
    default: [sidekiq, rq, celery]
  sidekiq_namespace:
    description: redis-namespace prefix of the Sidekiq keys, without the trailing colon.
    type: str
    default: ""
  celery_queues:
    description:
      - Celery queue names to read besides those bound in C(_kombu.binding.*) sets.
    type: list
    elements: str
    default: [celery]
  detectors:
    description: Detector ids to run; all when omitted.
    type: list
    elements: str
  disabled_detectors:
    description: Detector ids to skip.
    type: list
    elements: str
    default: []
  allow_fingerprints:
    description:
      - Fingerprints of accepted values; they only match when O(fingerprint_key) is the
        key the fingerprints were made with.
    type: list
    elements: str
    default: []
  allow_paths:
    description:
      - Regular expressions searched in C(<redis key>#<argument path>); matching
        findings are accepted.
    type: list
    elements: str
    default: []
  fingerprint_key:
    description:
      - Secret that keys the fingerprints, so they are stable across runs. A random key
        is used when omitted and fingerprints then only group repeats within one run.
    type: str
  retry_max_size:
    description: Most jobs the retry set may hold (DATA-03).
    type: int
    default: 10000
  retry_max_age:
    description: Oldest age in seconds a job in the retry set may reach (DATA-03).
    type: int
    default: 1814400
  dead_max_size:
    description: Most jobs the dead set may hold (DATA-03).
    type: int
    default: 10000
  dead_max_age:
    description: Oldest age in seconds a job in the dead set may reach (DATA-03).
    type: int
    default: 15552000
  page_size:
    description: Entries read per LRANGE/ZRANGE call.
    type: int
    default: 200
  scan_count:
    description: COUNT hint for SCAN.
    type: int
    default: 1000
  max_jobs:
    description: Stop after this many jobs (a sample); all jobs when omitted.
    type: int
  max_findings:
    description: Most findings returned; the totals still count all of them.
    type: int
    default: 1000
  fail_on:
    description:
      - Fail the task when findings of this kind exist; V(none) only reports.
    type: str
    choices: [none, any, data, retention]
    default: none
seealso:
  - name: Control catalogue (DATA-01..DATA-03)
    description: The controls this module checks.
    link: https://galaxy.ansible.com/ui/repo/published/jobqueue/redis_hardening/
"""

EXAMPLES = r"""
- name: Scan the job queues with the read-only scanner user
  jobqueue.redis_hardening.redis_job_scan:
    login_host: 127.0.0.1
    login_user: jobscan
    login_password: "{{ vault_redis_jobscan_password }}"
  register: job_scan

- name: Fail when a card number or a key sits in a queue
  jobqueue.redis_hardening.redis_job_scan:
    login_host: redis.internal
    login_port: 6380
    tls: true
    ca_certs: /etc/redis/tls/ca.crt
    login_user: jobscan
    login_password: "{{ vault_redis_jobscan_password }}"
    fingerprint_key: "{{ vault_job_scan_fingerprint_key }}"
    allow_paths:
      - '^queue:mailers#args\[0\]$'
    fail_on: data

- name: Check retention only, with a stricter dead-set limit
  jobqueue.redis_hardening.redis_job_scan:
    login_unix_socket: /run/redis/redis-server.sock
    login_user: jobscan
    login_password: "{{ vault_redis_jobscan_password }}"
    families: [sidekiq]
    detectors: []
    dead_max_size: 1000
    fail_on: retention

- name: Show which key versions still encrypt jobs before retiring one
  ansible.builtin.debug:
    var: job_scan.by_key_version
"""

RETURN = r"""
findings:
  description: Findings, at most O(max_findings); never the values themselves.
  returned: always
  type: list
  elements: dict
  contains:
    control:
      description: C(DATA-01) for a sensitive value, C(DATA-03) for retention.
      type: str
    detector:
      description: Detector or retention rule id.
      type: str
      sample: card_number
    title:
      description: What was found, in words.
      type: str
    key:
      description: Redis key (replaced by a fingerprint if the name holds a secret).
      type: str
      sample: queue:default
    source:
      description: Where the job sits, such as sidekiq-retry, rq-job or celery-queue.
      type: str
    job_class:
      description: Job class or task name.
      type: str
    jid:
      description: Job ID.
      type: str
    path:
      description: Path of the value inside the job.
      type: str
      sample: args[1].card
    fingerprint:
      description: Keyed fingerprint of the value.
      type: str
      sample: fp:3f9a0c1e22b4d871
    message:
      description: Explanation for retention findings.
      type: str
  sample:
    - control: DATA-01
      detector: card_number
      title: Payment card number
      key: queue:default
      source: sidekiq-queue
      job_class: PaymentJob
      jid: 2f1c8e0d9a7b6c5d4e3f2a1b
      path: args[1].card
      fingerprint: fp:3f9a0c1e22b4d871
      message: ""
findings_total:
  description: Number of findings, including those beyond O(max_findings).
  returned: always
  type: int
findings_truncated:
  description: Whether O(findings) was cut at O(max_findings).
  returned: always
  type: bool
by_detector:
  description: Finding counts per detector or retention rule.
  returned: always
  type: dict
  sample: {card_number: 3, email: 12}
by_key_version:
  description: Encrypted job arguments counted per key version.
  returned: always
  type: dict
  sample: {"1": 4, "2": 1380}
by_source:
  description: Jobs scanned per source.
  returned: always
  type: dict
retention:
  description: Size, oldest age in seconds and limits of the retry and dead sets.
  returned: always
  type: dict
  sample:
    dead:
      size: 12
      oldest_age_seconds: 86400.0
      max_size: 10000
      max_age_seconds: 15552000
jobs_scanned:
  description: Jobs (entries) inspected.
  returned: always
  type: int
keys_scanned:
  description: Redis keys read.
  returned: always
  type: int
allowed:
  description: Findings suppressed by the allow-list.
  returned: always
  type: int
uninspected:
  description: Counts of content that could not be inspected, by source and reason.
  returned: always
  type: dict
jobs_truncated:
  description: Whether the scan stopped at O(max_jobs).
  returned: always
  type: bool
target:
  description: The scanned server as scheme://host:port/db, without credentials.
  returned: always
  type: str
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import redis
except ImportError:
    REDIS_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    REDIS_IMPORT_ERROR = None

from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.detectors import (
    AllowList,
    DetectorSet,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.findings import (
    Fingerprinter,
    fingerprint_key_from_text,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.job_scan import (
    RETENTION_RULES,
    JobScanner,
    ScanOptions,
    Thresholds,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.job_scan_cli import (
    describe_redis_error,
)

FAMILIES = ["sidekiq", "rq", "celery"]


def argument_spec() -> dict:
    return {
        "login_host": {"type": "str", "default": "localhost"},
        "login_port": {"type": "int", "default": 6379},
        "login_unix_socket": {"type": "path"},
        "login_user": {"type": "str"},
        "login_password": {"type": "str", "no_log": True},
        "db": {"type": "int", "default": 0},
        "tls": {"type": "bool", "default": False},
        "validate_certs": {"type": "bool", "default": True},
        "ca_certs": {"type": "path"},
        "client_cert_file": {"type": "path"},
        "client_key_file": {"type": "path", "no_log": False},
        "connect_timeout": {"type": "float", "default": 10.0},
        "families": {
            "type": "list",
            "elements": "str",
            "choices": FAMILIES,
            "default": FAMILIES,
        },
        "sidekiq_namespace": {"type": "str", "default": ""},
        "celery_queues": {"type": "list", "elements": "str", "default": ["celery"]},
        "detectors": {"type": "list", "elements": "str"},
        "disabled_detectors": {"type": "list", "elements": "str", "default": []},
        "allow_fingerprints": {"type": "list", "elements": "str", "default": []},
        "allow_paths": {"type": "list", "elements": "str", "default": []},
        "fingerprint_key": {"type": "str", "no_log": True},
        "retry_max_size": {"type": "int", "default": Thresholds().retry_max_size},
        "retry_max_age": {"type": "int", "default": Thresholds().retry_max_age},
        "dead_max_size": {"type": "int", "default": Thresholds().dead_max_size},
        "dead_max_age": {"type": "int", "default": Thresholds().dead_max_age},
        "page_size": {"type": "int", "default": 200},
        "scan_count": {"type": "int", "default": 1000},
        "max_jobs": {"type": "int"},
        "max_findings": {"type": "int", "default": 1000},
        "fail_on": {
            "type": "str",
            "choices": ["none", "any", "data", "retention"],
            "default": "none",
        },
    }


def target_of(params: dict) -> str:
    if params["login_unix_socket"]:
        return f"unix://{params['login_unix_socket']}"
    scheme = "rediss" if params["tls"] else "redis"
    return f"{scheme}://{params['login_host']}:{params['login_port']}/{params['db']}"


def make_client(params: dict) -> redis.Redis:
    kwargs = {
        "username": params["login_user"],
        "password": params["login_password"],
        "db": params["db"],
        "socket_timeout": params["connect_timeout"],
    }
    if params["login_unix_socket"]:
        # redis-py 4.3 (Debian 12) rejects socket_connect_timeout for sockets.
        return redis.Redis(unix_socket_path=params["login_unix_socket"], **kwargs)
    kwargs["socket_connect_timeout"] = params["connect_timeout"]
    if params["tls"]:
        kwargs.update(
            ssl=True,
            ssl_cert_reqs="required" if params["validate_certs"] else "none",
            ssl_ca_certs=params["ca_certs"],
            ssl_certfile=params["client_cert_file"],
            ssl_keyfile=params["client_key_file"],
        )
    return redis.Redis(host=params["login_host"], port=params["login_port"], **kwargs)


def fail_on_hit(fail_on: str, by_detector: dict, retention_rules: set) -> int:
    """Number of findings of the kind that should fail the task."""
    data = sum(n for d, n in by_detector.items() if d not in retention_rules)
    retention = sum(n for d, n in by_detector.items() if d in retention_rules)
    return {"none": 0, "any": data + retention, "data": data, "retention": retention}[
        fail_on
    ]


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_together=[("client_cert_file", "client_key_file")],
    )
    if REDIS_IMPORT_ERROR:
        module.fail_json(
            msg=missing_required_lib("redis"), exception=REDIS_IMPORT_ERROR
        )
    params = module.params
    target = target_of(params)
    try:
        detectors = DetectorSet(params["detectors"], params["disabled_detectors"])
        allow = AllowList.build(params["allow_fingerprints"], params["allow_paths"])
        options = ScanOptions(
            page_size=params["page_size"],
            scan_count=params["scan_count"],
            max_jobs=params["max_jobs"],
            max_findings=params["max_findings"],
            sidekiq_namespace=params["sidekiq_namespace"],
            celery_queues=tuple(params["celery_queues"]),
            families=frozenset(params["families"]),
        )
    except ValueError as exc:
        module.fail_json(msg=f"The scan options are invalid: {exc}.")
    key = params["fingerprint_key"]
    scanner = JobScanner(
        make_client(params),
        detectors=detectors,
        allow=allow,
        fingerprinter=Fingerprinter(fingerprint_key_from_text(key) if key else None),
        options=options,
        thresholds=Thresholds(
            params["retry_max_size"],
            params["retry_max_age"],
            params["dead_max_size"],
            params["dead_max_age"],
        ),
    )
    try:
        report = scanner.run()
    except redis.exceptions.RedisError as exc:
        module.fail_json(msg=describe_redis_error(exc, target, params["login_user"]))
    summary = report.summary
    result = {
        "changed": False,
        "target": target,
        "findings": [finding.to_dict() for finding in report.findings],
    }
    for name in (
        "findings_total",
        "findings_truncated",
        "by_detector",
        "by_key_version",
        "by_source",
        "retention",
        "jobs_scanned",
        "keys_scanned",
        "allowed",
        "uninspected",
        "jobs_truncated",
    ):
        result[name] = summary[name]
    hits = fail_on_hit(params["fail_on"], summary["by_detector"], set(RETENTION_RULES))
    if hits:
        module.fail_json(
            msg=(
                f"The scan of {target} reported {hits} finding(s) at the "
                f"'{params['fail_on']}' level."
            ),
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
