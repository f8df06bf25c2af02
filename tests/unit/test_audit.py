"""The audit's rules, each against a hardened snapshot and a weakened one."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils import (
    audit,
    audit_probe,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.audit_probe import (
    parse_acl_user,
    plaintext_password_users,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.catalogue import (
    CONTROL_IDS,
)


def entry(mode: str, owner: str = "redis", group: str = "redis") -> dict:
    return {"exists": True, "mode": mode, "owner": owner, "group": group}


HARDENED = {
    "local": True,
    "redis_version": "7.0.15",
    "server": {"product": "redis", "version": "7.0.15"},
    "package": {
        "manager": "dpkg",
        "name": "redis-server",
        "version": "5:7.0.15-1~deb12u10",
        "distribution": "debian",
        "release": "bookworm",
    },
    "config": {
        "bind": "127.0.0.1 -::1 10.0.0.5",
        "protected-mode": "yes",
        "enable-debug-command": "no",
        "enable-module-command": "no",
        "enable-protected-configs": "no",
        "logfile": "/var/log/redis/redis-server.log",
        "syslog-enabled": "no",
        "acllog-max-len": "1024",
        "maxmemory-policy": "noeviction",
        "requirepass": "",
        "port": "0",
        "tls-port": "6379",
        "tls-protocols": "TLSv1.2 TLSv1.3",
        "tls-ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305",
        "tls-ciphersuites": "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
        "tls-prefer-server-ciphers": "yes",
        "tls-auth-clients": "yes",
        "tls-replication": "yes",
    },
    "tls": {"key_file": entry("0600"), "cert_days_left": 364, "cert_error": ""},
    "users": {
        "admin": {"flags": ["on"], "password_count": 1, "commands": "+@all"},
        "default": {"flags": ["off"], "password_count": 0, "commands": "-@all"},
        "sidekiq": {"flags": ["on"], "password_count": 1, "commands": "+@all -config"},
    },
    "admin_users": ["admin"],
    "dangerous_allowed": {"admin": list(audit.DANGEROUS_COMMANDS), "sidekiq": []},
    "unauthenticated": "noauth",
    "aclfile_plaintext_users": [],
    "config_dir": "/etc/redis",
    "files": {
        "config_file": entry("0640", owner="root"),
        "acl_file": entry("0600"),
        "data_dir": entry("0750"),
    },
    "data_files": {"/var/lib/redis/dump.rdb": entry("0600")},
    "service": {
        "User": "redis",
        "UMask": "0077",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "ReadWritePaths": "-/var/lib/redis -/var/log/redis -/run/redis /etc/redis/acl.d",
    },
    "keyspace": {},
}


def status(snapshot: dict, control_id: str, waivers: dict | None = None) -> str:
    findings = {f.id: f for f in audit.evaluate(snapshot, waivers)}
    return findings[control_id].status


def weakened(path: list[str], value) -> dict:
    snapshot = copy.deepcopy(HARDENED)
    target = snapshot
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return snapshot


def test_every_catalogue_control_is_reported_once():
    findings = audit.evaluate(HARDENED)
    assert [f.id for f in findings] == list(CONTROL_IDS)


def test_hardened_snapshot_passes_every_evaluated_control():
    findings = audit.evaluate(HARDENED)
    evaluated = [f for f in findings if f.status != audit.NOT_EVALUATED]
    assert {f.id for f in evaluated} == set(audit.RULES)
    assert all(f.status == audit.PASS for f in evaluated), [
        (f.id, f.detail) for f in evaluated if f.status != audit.PASS
    ]


WEAKENINGS = [
    ("NET-01", ["config", "bind"], "* -::*"),
    ("NET-01", ["config", "bind"], "0.0.0.0"),
    ("NET-01", ["config", "bind"], ""),
    ("NET-02", ["config", "protected-mode"], "no"),
    ("AUTH-01", ["unauthenticated"], "open"),
    (
        "AUTH-01",
        ["users", "default"],
        {"flags": ["on", "nopass"], "password_count": 0, "commands": "+@all"},
    ),
    (
        "AUTH-02",
        ["users", "sidekiq"],
        {"flags": ["on", "nopass"], "password_count": 0, "commands": "+@all"},
    ),
    ("AUTH-02", ["config", "requirepass"], "plaintext"),
    ("AUTH-02", ["aclfile_plaintext_users"], ["sidekiq"]),
    ("CMD-01", ["dangerous_allowed", "sidekiq"], ["config"]),
    ("CMD-02", ["config", "enable-debug-command"], "local"),
    ("CMD-02", ["config", "enable-module-command"], "yes"),
    ("CMD-02", ["config", "enable-protected-configs"], "yes"),
    ("FS-01", ["files", "data_dir"], entry("0755")),
    ("FS-01", ["data_files", "/var/lib/redis/dump.rdb"], entry("0660")),
    ("FS-01", ["service", "UMask"], "0007"),
    ("FS-02", ["files", "config_file"], entry("0640", owner="redis")),
    ("FS-02", ["files", "config_file"], entry("0644", owner="root")),
    ("FS-02", ["files", "acl_file"], entry("0644")),
    ("FS-02", ["files", "acl_file"], {"exists": False}),
    ("FS-03", ["service", "NoNewPrivileges"], "no"),
    ("FS-03", ["service", "ProtectSystem"], "full"),
    ("FS-03", ["service", "CapabilityBoundingSet"], "cap_chown"),
    ("FS-03", ["service", "ReadWritePaths"], "-/var/lib/redis -/etc/redis"),
    ("FS-03", ["service"], {}),
    ("LOG-01", ["config", "acllog-max-len"], "128"),
    ("LOG-01", ["config", "logfile"], ""),
    ("OPS-01", ["config", "maxmemory-policy"], "allkeys-lru"),
    ("NET-04", ["config", "port"], "6380"),
    ("TLS-01", ["config", "tls-port"], "0"),
    ("TLS-01", ["config", "tls-protocols"], "TLSv1.1 TLSv1.2"),
    ("TLS-01", ["config", "tls-ciphers"], "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA"),
    ("TLS-01", ["config", "tls-ciphers"], ""),
    ("TLS-01", ["config", "tls-ciphersuites"], "TLS_AES_128_CCM_8_SHA256"),
    ("TLS-01", ["config", "tls-prefer-server-ciphers"], "no"),
    ("TLS-02", ["config", "tls-auth-clients"], "optional"),
    ("TLS-03", ["config", "tls-replication"], "no"),
    ("TLS-04", ["tls", "key_file"], entry("0640")),
    ("TLS-04", ["tls", "key_file"], entry("0600", owner="root")),
    ("TLS-04", ["tls", "key_file"], {"exists": False}),
    ("TLS-04", ["tls", "cert_days_left"], 5),
    ("PATCH-01", ["package", "version"], "5:7.0.15-1~deb12u5"),
    ("PATCH-01", ["package", "version"], "5:7.0.11-1+deb12u1"),
]


@pytest.mark.parametrize(("control_id", "path", "value"), WEAKENINGS)
def test_weakened_setting_fails_its_control(control_id, path, value):
    snapshot = weakened(path, value)
    assert status(snapshot, control_id) == audit.FAIL
    others = {
        f.id: f.status
        for f in audit.evaluate(snapshot)
        if f.id != control_id and f.status == audit.FAIL
    }
    # One weakness fails one control, so the report points at the right
    # place. Two overlap by design: an unreadable unit also hides the umask
    # (FS-01), and a default user without password is also AUTH-02's concern.
    expected_others = {
        ("service",): {"FS-01"},
        ("users", "default"): {"AUTH-02"},
    }.get(tuple(path), set())
    assert set(others) == expected_others, others


def test_admin_may_run_dangerous_commands():
    assert status(HARDENED, "CMD-01") == audit.PASS


def test_syslog_alone_satisfies_logging():
    snapshot = weakened(["config", "logfile"], "")
    snapshot["config"]["syslog-enabled"] = "yes"
    assert status(snapshot, "LOG-01") == audit.PASS


def test_waived_control_is_reported_with_its_reason():
    snapshot = weakened(["config", "maxmemory-policy"], "allkeys-lru")
    findings = {f.id: f for f in audit.evaluate(snapshot, {"OPS-01": "cache only"})}
    assert findings["OPS-01"].status == audit.WAIVED
    assert "cache only" in findings["OPS-01"].detail


def test_failing_at_or_above_filters_by_severity():
    snapshot = weakened(["config", "maxmemory-policy"], "allkeys-lru")
    snapshot["config"]["acllog-max-len"] = "10"
    findings = audit.evaluate(snapshot)
    assert {f.id for f in audit.failing_at_or_above(findings, "low")} == {
        "OPS-01",
        "LOG-01",
    }
    assert {f.id for f in audit.failing_at_or_above(findings, "high")} == {"OPS-01"}
    assert audit.failing_at_or_above(findings, "critical") == []


def test_a_rule_that_cannot_read_its_input_reports_an_error():
    snapshot = copy.deepcopy(HARDENED)
    del snapshot["config"]
    statuses = {f.id: f.status for f in audit.evaluate(snapshot)}
    assert statuses["NET-01"] == audit.ERROR


def test_findings_never_quote_a_password_hash():
    snapshot = copy.deepcopy(HARDENED)
    snapshot["users"]["sidekiq"]["flags"] = ["on", "nopass"]
    text = " ".join(f.detail + f.fix for f in audit.evaluate(snapshot))
    assert "#" not in text.replace("#<sha256>", "")


@pytest.mark.parametrize(
    ("line", "name", "flags", "passwords"),
    [
        ("user default on nopass ~* &* +@all", "default", ["on", "nopass"], 0),
        ("user default off resetchannels -@all", "default", ["off"], 0),
        (
            "user admin on #" + "a" * 64 + " #" + "b" * 64 + " ~* &* +@all",
            "admin",
            ["on"],
            2,
        ),
        (
            "user app on sanitize-payload #" + "c" * 64 + " %R~cache:* -@all +get",
            "app",
            ["on", "sanitize-payload"],
            1,
        ),
    ],
)
def test_parse_acl_user(line, name, flags, passwords):
    parsed_name, parsed = parse_acl_user(line)
    assert parsed_name == name
    assert parsed["flags"] == flags
    assert parsed["password_count"] == passwords


def test_plaintext_passwords_in_an_aclfile_are_named_not_shown():
    text = (
        "user admin on #" + "a" * 64 + " ~* +@all\n"
        "user app on >s3cret pass ~* +@all\n"
        "user other off resetchannels -@all\n"
    )
    assert plaintext_password_users(text) == ["app"]


def test_remote_snapshot_leaves_local_controls_not_evaluated():
    snapshot = copy.deepcopy(HARDENED)
    snapshot["local"] = False
    snapshot["aclfile_plaintext_users"] = None
    for key in ("files", "data_files", "service"):
        del snapshot[key]
    findings = {f.id: f for f in audit.evaluate(snapshot)}
    for control_id in audit.LOCAL_CONTROLS:
        assert findings[control_id].status == audit.NOT_EVALUATED
        assert "on the host itself" in findings[control_id].detail
    assert findings["AUTH-02"].status == audit.PASS
    assert "not read (remote audit)" in findings["AUTH-02"].detail


def test_patch_01_names_each_cve_and_its_fixed_version():
    snapshot = weakened(["package", "version"], "5:7.0.15-1~deb12u5")
    finding = {f.id: f for f in audit.evaluate(snapshot)}["PATCH-01"]
    assert finding.status == audit.FAIL
    assert "CVE-2025-49844 (fixed in 5:7.0.15-1~deb12u6)" in finding.detail
    assert "CVE-2026-81934 (fixed in 5:7.0.15-1~deb12u10)" in finding.detail
    # Fixed by deb12u5 itself, so not named.
    assert "CVE-2025-32023" not in finding.detail
    assert finding.fix.startswith("upgrade redis-server")


def test_patch_01_is_unknown_not_pass_when_the_table_lacks_a_fix():
    # Trixie's fixed revisions of the 2025 Lua CVEs are not in the table.
    snapshot = copy.deepcopy(HARDENED)
    snapshot["server"] = {"product": "redis", "version": "8.0.2"}
    snapshot["package"].update(version="5:8.0.2-3", release="trixie")
    finding = {f.id: f for f in audit.evaluate(snapshot)}["PATCH-01"]
    assert finding.status == audit.UNKNOWN_STATUS
    assert "CVE-2025-49844" in finding.detail
    assert audit.failing_at_or_above([finding], "low") == []


def test_without_tls_only_tls_01_fails_and_the_rest_are_not_evaluated():
    snapshot = weakened(["config", "tls-port"], "0")
    findings = {f.id: f for f in audit.evaluate(snapshot)}
    assert findings["TLS-01"].status == audit.FAIL
    assert "plaintext" in findings["TLS-01"].detail
    for control_id in ("NET-04", "TLS-02", "TLS-03", "TLS-04"):
        assert findings[control_id].status == audit.NOT_EVALUATED
        assert "TLS is off" in findings[control_id].detail


def test_an_unreadable_certificate_date_is_unknown_not_pass():
    snapshot = weakened(["tls", "cert_days_left"], None)
    snapshot["tls"]["cert_error"] = "python3-cryptography is not installed on the host"
    finding = {f.id: f for f in audit.evaluate(snapshot)}["TLS-04"]
    assert finding.status == audit.UNKNOWN_STATUS
    assert "python3-cryptography" in finding.detail


def test_certificate_days_left_reads_the_end_date(tmp_path):
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "t")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=12, hours=1))
        .sign(key, hashes.SHA256())
    )
    path = tmp_path / "server.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    assert audit_probe.certificate_days_left(str(path)) == (12, "")
    days, error = audit_probe.certificate_days_left(str(tmp_path / "missing.crt"))
    assert days is None and "cannot read" in error


def test_the_renewal_threshold_follows_the_snapshot():
    snapshot = weakened(["tls", "cert_days_left"], 20)
    assert status(snapshot, "TLS-04") == audit.FAIL
    snapshot["tls_renew_days"] = 14
    assert status(snapshot, "TLS-04") == audit.PASS
