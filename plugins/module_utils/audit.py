"""Evaluate the control catalogue against a snapshot of one Redis host.

The snapshot (see audit_probe.gather) is plain data read from the host: the
live configuration, ACL users, file modes and the systemd unit. Evaluation is
pure, so every rule here is unit-tested without a server. Nothing in a
finding ever quotes a password, a hash or a value from the keyspace.
"""

from __future__ import annotations

import re
import stat
from dataclasses import asdict, dataclass
from typing import Any, Callable

from .catalogue import CONTROLS, SEVERITIES
from .cve_table import AFFECTED, UNKNOWN, assess

# CMD-01: commands no client but the administrator may run.
DANGEROUS_COMMANDS = (
    "acl",
    "config",
    "debug",
    "flushall",
    "flushdb",
    "keys",
    "migrate",
    "module",
    "monitor",
    "replicaof",
    "shutdown",
    "slaveof",
)

# Values of `bind` that mean every address.
WILDCARD_BINDS = {
    "*",
    "0.0.0.0",  # noqa: S104 a value to detect, not an address to bind
    "::",
    "::*",
    "-*",
    "-::*",
    "-0.0.0.0",
    "-::",
}

PASS, FAIL, WAIVED, NOT_EVALUATED, ERROR = (
    "pass",
    "fail",
    "waived",
    "not evaluated",
    "error",
)
# A rule that could not decide: its data is incomplete (PATCH-01 without a
# recorded fixed version). Never counted as a pass.
UNKNOWN_STATUS = UNKNOWN

# Controls that read files, the systemd unit or the package database on the
# host itself; a remote audit (snapshot["local"] false) cannot judge them.
LOCAL_CONTROLS = frozenset({"FS-01", "FS-02", "FS-03", "TLS-04"})


@dataclass
class Finding:
    id: str
    title: str
    severity: str
    status: str
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class Outcome:
    """What one rule found: failed reasons plus the fix to suggest."""

    def __init__(self, fix: str) -> None:
        self.problems: list[str] = []
        self.unknowns: list[str] = []
        self.notes: list[str] = []
        # Set when the control does not apply to this host (TLS-02 without
        # TLS): reported as not evaluated, with this reason.
        self.not_applicable = ""
        self.fix = fix

    def require(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)


def _mode(entry: dict[str, Any] | None) -> int | None:
    if not entry or not entry.get("exists"):
        return None
    return int(entry["mode"], 8)


def _octal(mode: int) -> str:
    return format(stat.S_IMODE(mode), "04o")


def check_net_01(snap: dict[str, Any]) -> Outcome:
    out = Outcome("bind loopback and the app-facing addresses only")
    binds = snap["config"].get("bind", "").split()
    out.require(bool(binds), "bind is empty, so Redis listens on every address")
    wild = [b for b in binds if b in WILDCARD_BINDS]
    out.require(not wild, f"bind holds the wildcard {' '.join(wild)}")
    return out


def check_net_02(snap: dict[str, Any]) -> Outcome:
    out = Outcome("set protected-mode yes")
    out.require(snap["config"].get("protected-mode") == "yes", "protected-mode is off")
    return out


def check_auth_01(snap: dict[str, Any]) -> Outcome:
    out = Outcome("switch the default user off: `user default off -@all`")
    probe = snap.get("unauthenticated")
    out.require(probe != "open", "a client without credentials can run commands")
    default = snap["users"].get("default")
    if default is not None:
        out.require(
            "off" in default["flags"] or default["commands"] == "-@all",
            "the default user is on and has commands",
        )
    return out


def check_auth_02(snap: dict[str, Any]) -> Outcome:
    out = Outcome(
        "give each user a long random password written as #<sha256> in the "
        "aclfile; remove requirepass"
    )
    for name, user in sorted(snap["users"].items()):
        if "off" in user["flags"]:
            continue
        out.require("nopass" not in user["flags"], f"user {name} needs no password")
        out.require(
            "nopass" in user["flags"] or user["password_count"] > 0,
            f"user {name} has no password",
        )
    out.require(
        not snap["config"].get("requirepass"),
        "requirepass holds a plaintext password in redis.conf",
    )
    plaintext = snap.get("aclfile_plaintext_users")
    if plaintext is None:
        out.notes.append("the aclfile on disk was not read (remote audit)")
    out.require(
        not plaintext,
        "the aclfile holds plaintext passwords for " + ", ".join(plaintext or []),
    )
    return out


def check_cmd_01(snap: dict[str, Any]) -> Outcome:
    out = Outcome(
        "deny " + ", ".join(DANGEROUS_COMMANDS) + " to every user but the admin"
    )
    admins = set(snap.get("admin_users", []))
    for name, allowed in sorted(snap.get("dangerous_allowed", {}).items()):
        if name in admins:
            continue
        out.require(not allowed, f"user {name} may run {' '.join(allowed)}")
    return out


def check_cmd_02(snap: dict[str, Any]) -> Outcome:
    out = Outcome(
        "set enable-debug-command, enable-module-command and "
        "enable-protected-configs to no"
    )
    for name in (
        "enable-debug-command",
        "enable-module-command",
        "enable-protected-configs",
    ):
        value = snap["config"].get(name, "no")
        out.require(value == "no", f"{name} is {value}")
    return out


def check_fs_01(snap: dict[str, Any]) -> Outcome:
    out = Outcome("chmod 0750 the data dir, 0600 its files; UMask=0077 in the unit")
    files = snap["files"]
    data_dir = files.get("data_dir")
    mode = _mode(data_dir)
    out.require(mode is not None, "the data directory is missing")
    if mode is not None and data_dir is not None:
        out.require(mode & 0o027 == 0, f"the data directory has mode {_octal(mode)}")
        out.require(
            data_dir["owner"] == "redis",
            f"the data directory is owned by {data_dir['owner']}",
        )
    loose = []
    for path, entry in sorted(snap.get("data_files", {}).items()):
        file_mode = _mode(entry)
        if file_mode is not None and file_mode & 0o037:
            loose.append(f"{path} has mode {_octal(file_mode)}")
    more = f" and {len(loose) - 3} more files" if len(loose) > 3 else ""
    out.require(not loose, "; ".join(loose[:3]) + more)
    umask = snap["service"].get("UMask", "")
    out.require(umask in ("0077", "0027"), f"the service umask is {umask or 'unknown'}")
    return out


def check_fs_02(snap: dict[str, Any]) -> Outcome:
    out = Outcome(
        "chown root:redis and chmod 0640 redis.conf; chown redis and chmod "
        "0600 the aclfile"
    )
    conf = snap["files"].get("config_file")
    mode = _mode(conf)
    out.require(mode is not None, "redis.conf is missing")
    if mode is not None and conf is not None:
        out.require(conf["owner"] == "root", f"redis.conf is owned by {conf['owner']}")
        out.require(mode & 0o027 == 0, f"redis.conf has mode {_octal(mode)}")
    acl = snap["files"].get("acl_file")
    acl_mode = _mode(acl)
    out.require(acl_mode is not None, "no aclfile is configured")
    if acl_mode is not None and acl is not None:
        out.require(acl["owner"] == "redis", f"the aclfile is owned by {acl['owner']}")
        out.require(acl_mode & 0o077 == 0, f"the aclfile has mode {_octal(acl_mode)}")
    return out


def _under(path: str, parent: str) -> bool:
    parent = parent.rstrip("/") or "/"
    return path == parent or path.startswith(parent + "/")


def check_fs_03(snap: dict[str, Any]) -> Outcome:
    out = Outcome("install the redis_server role's systemd drop-in")
    unit = snap["service"]
    if not unit:
        out.require(False, "the systemd unit could not be read")
        return out
    expected = {
        "User": "redis",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
    }
    for key, value in expected.items():
        actual = unit.get(key, "")
        out.require(actual == value, f"{key} is {actual or 'unset'}")
    out.require(
        unit.get("CapabilityBoundingSet", "x") == "",
        "the unit keeps capabilities",
    )
    out.require(
        bool(unit.get("RestrictAddressFamilies")),
        "address families are not restricted",
    )
    config_dir = snap.get("config_dir", "/etc/redis")
    writable = unit.get("ReadWritePaths", "").split()
    exposed = [p.lstrip("-") for p in writable if _under(config_dir, p.lstrip("-"))]
    out.require(
        not exposed,
        f"the service may write the configuration directory {config_dir}",
    )
    return out


def check_log_01(snap: dict[str, Any]) -> Outcome:
    out = Outcome("set logfile (or syslog-enabled yes) and acllog-max-len 1024")
    cfg = snap["config"]
    out.require(
        bool(cfg.get("logfile")) or cfg.get("syslog-enabled") == "yes",
        "no log file and no syslog",
    )
    length = int(cfg.get("acllog-max-len", "0") or 0)
    out.require(length >= 512, f"acllog-max-len is {length}, below 512")
    return out


def check_ops_01(snap: dict[str, Any]) -> Outcome:
    out = Outcome("set maxmemory-policy noeviction")
    policy = snap["config"].get("maxmemory-policy", "")
    out.require(
        policy == "noeviction", f"maxmemory-policy {policy} can evict queued jobs"
    )
    return out


def check_patch_01(snap: dict[str, Any]) -> Outcome:
    server = snap.get("server") or {
        "product": "redis",
        "version": snap["redis_version"],
    }
    package = snap.get("package")
    out = Outcome(
        f"upgrade {(package or {}).get('name') or server['product']} to a version "
        "with every fix (apt-get install --only-upgrade on Debian)"
    )
    verdicts = assess(server["product"], server["version"], package)
    build = (
        f"package {package['name']} {package['version']} ({package['release']})"
        if package and package.get("manager") == "dpkg"
        else f"{server['product']} {server['version']}"
    )
    affected = [
        f"{v['cve']} (fixed in {v['fixed']})"
        for v in verdicts
        if v["status"] == AFFECTED
    ]
    out.require(not affected, f"{build} is affected by " + ", ".join(affected))
    out.unknowns += [
        f"{v['cve']}: {v['reason']}" for v in verdicts if v["status"] == UNKNOWN
    ]
    out.notes.append(f"{build}: {len(verdicts)} CVEs in the table checked")
    return out


# TLS-01: TLS 1.2 ciphers that are forward secret and AEAD (OpenSSL names),
# TLS 1.3 suites without the truncated-tag CCM_8.
STRONG_TLS12_CIPHER = re.compile(
    r"^(ECDHE|DHE)-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$"
)
STRONG_TLS13_SUITES = {
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256",
}
# TLS-04: fewer days left than this and the certificate is overdue for renewal
# (the redis_tls role's default threshold; the snapshot may carry another).
RENEW_DAYS = 30


def _tls_on(snap: dict[str, Any]) -> bool:
    return snap["config"].get("tls-port", "0") not in ("", "0")


def _tls_off(out: Outcome) -> Outcome:
    out.not_applicable = "TLS is off (tls-port 0); TLS-01 reports it"
    return out


def check_net_04(snap: dict[str, Any]) -> Outcome:
    out = Outcome("set port 0 so that only tls-port accepts clients")
    if not _tls_on(snap):
        return _tls_off(out)
    port = snap["config"].get("port", "")
    out.require(port == "0", f"the plaintext port {port} is open beside TLS")
    return out


def check_tls_01(snap: dict[str, Any]) -> Outcome:
    out = Outcome(
        'serve TLS (redis_tls role) with tls-protocols "TLSv1.2 TLSv1.3", '
        "ECDHE AEAD tls-ciphers and tls-prefer-server-ciphers yes"
    )
    config = snap["config"]
    if not _tls_on(snap):
        out.problems.append(
            "TLS is off: clients and job data cross the network in plaintext"
        )
        return out
    # Redis 7 offers TLS 1.2 and 1.3 when tls-protocols is empty.
    protocols = set((config.get("tls-protocols") or "TLSv1.2 TLSv1.3").split())
    old = sorted(protocols - {"TLSv1.2", "TLSv1.3"})
    out.require(not old, "tls-protocols offers " + " ".join(old))
    ciphers = [c for c in config.get("tls-ciphers", "").split(":") if c]
    if "TLSv1.2" in protocols:
        out.require(
            bool(ciphers),
            "tls-ciphers is unset, so OpenSSL's default TLS 1.2 list (with CBC "
            "and non-forward-secret ciphers) is offered",
        )
        weak = [c for c in ciphers if not STRONG_TLS12_CIPHER.match(c)]
        out.require(not weak, "tls-ciphers offers " + ":".join(weak[:5]))
    suites = [s for s in config.get("tls-ciphersuites", "").split(":") if s]
    weak_suites = [s for s in suites if s not in STRONG_TLS13_SUITES]
    out.require(not weak_suites, "tls-ciphersuites offers " + ":".join(weak_suites))
    out.require(
        config.get("tls-prefer-server-ciphers") == "yes",
        "tls-prefer-server-ciphers is off, so clients pick the cipher",
    )
    return out


def check_tls_02(snap: dict[str, Any]) -> Outcome:
    out = Outcome("set tls-auth-clients yes and give each app a client certificate")
    if not _tls_on(snap):
        return _tls_off(out)
    value = snap["config"].get("tls-auth-clients", "")
    out.require(value == "yes", f"tls-auth-clients is {value or 'unset'}")
    return out


def check_tls_03(snap: dict[str, Any]) -> Outcome:
    out = Outcome("set tls-replication yes")
    if not _tls_on(snap):
        return _tls_off(out)
    out.require(
        snap["config"].get("tls-replication") == "yes",
        "tls-replication is off: a replica link of this server is plaintext",
    )
    return out


def check_tls_04(snap: dict[str, Any]) -> Outcome:
    out = Outcome("chmod 0600 the TLS key, owned by redis; renew the certificate")
    if not _tls_on(snap):
        return _tls_off(out)
    tls = snap.get("tls") or {}
    key = tls.get("key_file") or {}
    mode = _mode(key)
    out.require(mode is not None, "the TLS key file is missing")
    if mode is not None:
        out.require(mode & 0o077 == 0, f"the TLS key file has mode {_octal(mode)}")
        out.require(
            key["owner"] == "redis", f"the TLS key file is owned by {key['owner']}"
        )
    days = tls.get("cert_days_left")
    threshold = int(snap.get("tls_renew_days") or RENEW_DAYS)
    if days is None:
        out.unknowns.append(
            tls.get("cert_error") or "the certificate's end date is unknown"
        )
    else:
        out.require(
            days >= threshold,
            f"the server certificate ends in {days} days, fewer than {threshold}",
        )
        out.notes.append(f"certificate valid for {days} more days")
    return out


RULES: dict[str, Callable[[dict[str, Any]], Outcome]] = {
    "NET-01": check_net_01,
    "NET-02": check_net_02,
    "AUTH-01": check_auth_01,
    "AUTH-02": check_auth_02,
    "CMD-01": check_cmd_01,
    "CMD-02": check_cmd_02,
    "FS-01": check_fs_01,
    "FS-02": check_fs_02,
    "FS-03": check_fs_03,
    "PATCH-01": check_patch_01,
    "LOG-01": check_log_01,
    "OPS-01": check_ops_01,
    "NET-04": check_net_04,
    "TLS-01": check_tls_01,
    "TLS-02": check_tls_02,
    "TLS-03": check_tls_03,
    "TLS-04": check_tls_04,
}


def evaluate(
    snapshot: dict[str, Any], waivers: dict[str, str] | None = None
) -> list[Finding]:
    """Run every rule of the catalogue against one host's snapshot."""
    waivers = waivers or {}
    findings = []
    for entry in CONTROLS:
        rule = RULES.get(entry["id"])
        base = {
            "id": entry["id"],
            "title": entry["title"],
            "severity": entry["severity"],
        }
        if rule is None:
            findings.append(
                Finding(**base, status=NOT_EVALUATED, detail=entry["check"])
            )
            continue
        if entry["id"] in LOCAL_CONTROLS and snapshot.get("local") is False:
            findings.append(
                Finding(
                    **base,
                    status=NOT_EVALUATED,
                    detail="needs the host's files and systemd unit: run the "
                    "audit on the host itself",
                )
            )
            continue
        try:
            outcome = rule(snapshot)
        except (KeyError, ValueError, TypeError) as exc:
            findings.append(
                Finding(**base, status=ERROR, detail=f"could not evaluate: {exc}")
            )
            continue
        if outcome.not_applicable:
            findings.append(
                Finding(**base, status=NOT_EVALUATED, detail=outcome.not_applicable)
            )
        elif not outcome.problems and outcome.unknowns:
            findings.append(
                Finding(
                    **base,
                    status=UNKNOWN_STATUS,
                    detail="could not decide: " + "; ".join(outcome.unknowns),
                )
            )
        elif not outcome.problems:
            detail = "ok" + (f" ({'; '.join(outcome.notes)})" if outcome.notes else "")
            findings.append(Finding(**base, status=PASS, detail=detail))
        elif entry["id"] in waivers:
            findings.append(
                Finding(
                    **base,
                    status=WAIVED,
                    detail="; ".join(outcome.problems)
                    + f" (waived: {waivers[entry['id']]})",
                )
            )
        else:
            findings.append(
                Finding(
                    **base,
                    status=FAIL,
                    detail="; ".join(outcome.problems),
                    fix=outcome.fix,
                )
            )
    return findings


def failing_at_or_above(findings: list[Finding], severity: str) -> list[Finding]:
    """Findings that failed with at least the given severity."""
    floor = SEVERITIES.index(severity)
    return [
        f
        for f in findings
        if f.status in (FAIL, ERROR) and SEVERITIES.index(f.severity) >= floor
    ]


def summary(findings: list[Finding]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.status] = counts.get(finding.status, 0) + 1
    return counts
