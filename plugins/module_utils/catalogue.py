"""The control catalogue: every control the collection ships, as data.

One source for the audit, the tests and the README. IDs are stable; the
threat is the section of the threat model the control answers.
"""

from __future__ import annotations

from typing import TypedDict


class Control(TypedDict):
    id: str
    title: str
    threat: str
    severity: str
    check: str


SEVERITIES = ("low", "medium", "high", "critical")

CONTROLS: tuple[Control, ...] = (
    {
        "id": "NET-01",
        "title": "Redis listens on explicit addresses, never on all of them",
        "threat": "4.2 network exposure; 5 M1",
        "severity": "critical",
        "check": "live `bind` holds no wildcard (*, 0.0.0.0, ::)",
    },
    {
        "id": "NET-02",
        "title": "protected-mode stays on",
        "threat": "4.2 network exposure; 5 M1",
        "severity": "high",
        "check": "live `protected-mode` is yes",
    },
    {
        "id": "NET-03",
        "title": "The host firewall admits Redis ports from allow-listed sources only",
        "threat": "4.2 network exposure; 5 M1",
        "severity": "high",
        "check": "not evaluated yet (redis_firewall role)",
    },
    {
        "id": "NET-04",
        "title": "With TLS on, the plaintext port is closed",
        "threat": "4.2 MITM",
        "severity": "high",
        "check": "with `tls-port` set, live `port` is 0",
    },
    {
        "id": "TLS-01",
        "title": "TLS 1.2 and 1.3 only, no weak cipher",
        "threat": "4.2 MITM; 4.3 encryption in transit",
        "severity": "high",
        "check": "TLS on; live `tls-protocols` 1.2/1.3 only, ECDHE AEAD "
        "`tls-ciphers` and suites, server order",
    },
    {
        "id": "TLS-02",
        "title": "Clients present certificates where required",
        "threat": "4.2 MITM",
        "severity": "medium",
        "check": "live `tls-auth-clients` is yes",
    },
    {
        "id": "TLS-03",
        "title": "Replication and Sentinel links use TLS",
        "threat": "4.2 MITM",
        "severity": "medium",
        "check": "live `tls-replication` is yes (Sentinel not evaluated)",
    },
    {
        "id": "TLS-04",
        "title": "TLS keys private to redis; certificates renewed in time",
        "threat": "4.2 MITM",
        "severity": "medium",
        "check": "key file 0600 owned by redis; certificate 30+ days from its end",
    },
    {
        "id": "TLS-05",
        "title": "Job arguments are not readable on the wire",
        "threat": "4.3 encryption in transit",
        "severity": "high",
        "check": "not evaluated by the audit (packet capture test)",
    },
    {
        "id": "AUTH-01",
        "title": "The default user is off; unauthenticated commands get NOAUTH",
        "threat": "4.2 weak or missing authentication; 4.3",
        "severity": "critical",
        "check": "a fresh connection without credentials is refused and the "
        "default user is off or has no command",
    },
    {
        "id": "AUTH-02",
        "title": "Every user has a password, stored only as a SHA-256 hash",
        "threat": "4.2 compromised credentials; 4.3",
        "severity": "high",
        "check": "no enabled user is nopass or passwordless; no plaintext "
        "password in the aclfile or requirepass in redis.conf",
    },
    {
        "id": "AUTH-03",
        "title": "Least-privilege ACL profiles for each client role",
        "threat": "5 M1 least privilege",
        "severity": "medium",
        "check": "not evaluated yet (redis_acl role)",
    },
    {
        "id": "AUTH-04",
        "title": "Passwords rotate in stages with no failed job",
        "threat": "5 M1 rotation",
        "severity": "medium",
        "check": "not evaluated yet (rotate-credentials playbook)",
    },
    {
        "id": "AUTH-05",
        "title": "Repeated authentication failures are detected",
        "threat": "4.2 brute force",
        "severity": "medium",
        "check": "not evaluated yet",
    },
    {
        "id": "CMD-01",
        "title": "Admin-class commands are denied to every non-admin user",
        "threat": "4.2 configuration vulnerabilities",
        "severity": "critical",
        "check": "ACL DRYRUN of each dangerous command as each enabled "
        "non-admin user is refused",
    },
    {
        "id": "CMD-02",
        "title": "DEBUG, MODULE and protected configs are disabled",
        "threat": "4.2 configuration vulnerabilities",
        "severity": "critical",
        "check": "enable-debug-command, enable-module-command and "
        "enable-protected-configs are all no",
    },
    {
        "id": "FS-01",
        "title": "Data directory and dump files are private to redis",
        "threat": "4.3 encryption at rest",
        "severity": "high",
        "check": "data dir owned by redis without access for others; RDB and "
        "AOF files 0600 or 0640; service UMask 0077 or 0027",
    },
    {
        "id": "FS-02",
        "title": "redis.conf is root's; the aclfile is writable by redis only",
        "threat": "4.3; 4.2 configuration vulnerabilities",
        "severity": "high",
        "check": "redis.conf owned by root, no write for its group, nothing "
        "for others; aclfile owned by redis, no access for others",
    },
    {
        "id": "FS-03",
        "title": "The service runs as redis in a systemd sandbox",
        "threat": "4.2 configuration vulnerabilities",
        "severity": "high",
        "check": "unit runs as redis with NoNewPrivileges, ProtectSystem=strict, "
        "ProtectHome, PrivateTmp, no capabilities, restricted address "
        "families, and cannot write the configuration directory",
    },
    {
        "id": "PATCH-01",
        "title": "The installed build has no known CVE",
        "threat": "4.2 unpatched instances",
        "severity": "high",
        "check": "the installed package (Debian: dpkg version, counting "
        "backports) or the server's version is past the fixed version of "
        "every CVE in cve_table.py; unknown where the table lacks a fix",
    },
    {
        "id": "LOG-01",
        "title": "Logging is on and the ACL log keeps recent failures",
        "threat": "5 M4",
        "severity": "medium",
        "check": "logfile set or syslog on; acllog-max-len at least 512",
    },
    {
        "id": "LOG-02",
        "title": "Security events become structured events with alert rules",
        "threat": "5 M4",
        "severity": "medium",
        "check": "not evaluated yet",
    },
    {
        "id": "DATA-01",
        "title": "No sensitive values in job payloads",
        "threat": "4.3 sensitive data in arguments; 5 M2, M3",
        "severity": "high",
        "check": "not evaluated by the audit (redis_job_scan)",
    },
    {
        "id": "DATA-02",
        "title": "Job-argument encryption keys are provisioned and rotated",
        "threat": "5 M2",
        "severity": "medium",
        "check": "not evaluated yet",
    },
    {
        "id": "DATA-03",
        "title": "Retry and dead sets are bounded in size and age",
        "threat": "5 M3 data minimisation",
        "severity": "low",
        "check": "not evaluated by the audit (redis_job_scan)",
    },
    {
        "id": "OPS-01",
        "title": "maxmemory-policy is noeviction",
        "threat": "4.4 business disruption",
        "severity": "high",
        "check": "live maxmemory-policy is noeviction",
    },
    {
        "id": "OPS-02",
        "title": "Hardening keeps every key; a failed change keeps the old config",
        "threat": "4.4 business disruption",
        "severity": "high",
        "check": "not evaluated by the audit (key counts before and after)",
    },
    {
        "id": "OPS-03",
        "title": "Replication and failover keep working under ACLs and TLS",
        "threat": "4.4 business disruption",
        "severity": "medium",
        "check": "not evaluated yet",
    },
)

CONTROL_IDS = tuple(control["id"] for control in CONTROLS)


def control(control_id: str) -> Control:
    """Return the catalogue entry of one control."""
    for entry in CONTROLS:
        if entry["id"] == control_id:
            return entry
    raise KeyError(f"unknown control {control_id}")
