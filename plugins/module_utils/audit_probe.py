"""Read the state of one Redis host into a snapshot for audit.evaluate.

Reads only: CONFIG GET, ACL LIST, ACL DRYRUN, INFO, SCAN and counts over the
Redis protocol, file modes with stat, and `systemctl show`. It never writes to
Redis or to disk, so it is safe on production servers and in check mode.
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
from datetime import datetime, timezone
from typing import Any, Callable

from .audit import DANGEROUS_COMMANDS
from .cve_table import PACKAGES

try:
    import redis
except ImportError:  # reported by the caller with install advice
    redis = None

# One harmless-looking call per dangerous command, with the arity Redis
# expects, for ACL DRYRUN (which checks permissions without running it).
DRYRUN_CALLS: dict[str, tuple[str, ...]] = {
    "acl": ("acl", "setuser", "audit-probe"),
    "config": ("config", "set", "dir", "/tmp"),  # noqa: S108 never run, only dry-run
    "debug": ("debug", "sleep", "0"),
    "flushall": ("flushall",),
    "flushdb": ("flushdb",),
    "keys": ("keys", "*"),
    "migrate": ("migrate", "127.0.0.1", "6379", "k", "0", "1000"),
    "module": ("module", "load", "/nonexistent.so"),
    "monitor": ("monitor",),
    "replicaof": ("replicaof", "127.0.0.1", "6379"),
    "shutdown": ("shutdown",),
    "slaveof": ("slaveof", "127.0.0.1", "6379"),
}
assert set(DRYRUN_CALLS) == set(DANGEROUS_COMMANDS)

UNIT_PROPERTIES = (
    "User",
    "UMask",
    "NoNewPrivileges",
    "ProtectSystem",
    "ProtectHome",
    "PrivateTmp",
    "CapabilityBoundingSet",
    "RestrictAddressFamilies",
    "ReadWritePaths",
)

SIDEKIQ_SETS = ("schedule", "retry", "dead")
MAX_DATA_FILES = 1000


class ProbeError(Exception):
    """The host could not be read; the message says what and why."""


def _sentence(exc: Exception) -> str:
    return str(exc).rstrip(". ")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_acl_user(line: str) -> tuple[str, dict[str, Any]]:
    """Split one ACL LIST line into name, flags and rule summary."""
    tokens = line.split()
    if len(tokens) < 2 or tokens[0] != "user":
        raise ValueError("not an ACL user line")
    flags, commands, passwords = [], [], 0
    for token in tokens[2:]:
        if token.startswith("#") or token.startswith(">"):
            passwords += 1
        elif token[0] in "+-" or token in ("allcommands", "nocommands"):
            commands.append(token)
        elif token[0] not in "~%&" and token not in ("resetchannels", "resetkeys"):
            flags.append(token)
    return tokens[1], {
        "flags": flags,
        "password_count": passwords,
        "commands": " ".join(commands),
    }


def plaintext_password_users(text: str) -> list[str]:
    """Names of aclfile users whose passwords are written in clear (>pass)."""
    users = []
    for line in text.splitlines():
        tokens = line.split()
        if len(tokens) > 2 and tokens[0] == "user":
            if any(t.startswith(">") for t in tokens[2:]):
                users.append(tokens[1])
    return users


def stat_entry(path: str) -> dict[str, Any]:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return {"exists": False}
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return {
        "exists": True,
        "mode": format(info.st_mode & 0o7777, "04o"),
        "owner": owner,
        "group": group,
    }


def certificate_days_left(
    path: str, now: datetime | None = None
) -> tuple[int | None, str]:
    """Whole days until the PEM certificate at `path` ends, or None and why."""
    try:
        with open(path, "rb") as handle:
            pem = handle.read()
    except OSError as exc:
        return None, f"cannot read the certificate: {_sentence(exc)}"
    try:
        from cryptography import x509
    except ImportError:
        return None, "python3-cryptography is not installed on the host"
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        return None, f"cannot parse the certificate: {_sentence(exc)}"
    # Debian 12's cryptography (38) has only the naive UTC attribute.
    end = getattr(cert, "not_valid_after_utc", None)
    if end is None:
        end = cert.not_valid_after.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return int((end - now).total_seconds() // 86400), ""


def tls_files(config: dict[str, str]) -> dict[str, Any]:
    """TLS-04: the key file's owner and mode, and the certificate's days left."""
    if config.get("tls-port", "0") in ("", "0"):
        return {}
    key = config.get("tls-key-file", "")
    days, error = certificate_days_left(config.get("tls-cert-file", ""))
    return {
        "key_file": stat_entry(key) if key else {"exists": False},
        "cert_days_left": days,
        "cert_error": error,
    }


def unit_properties(service: str) -> dict[str, str]:
    try:
        result = subprocess.run(
            ["systemctl", "show", service, "-p", ",".join(UNIT_PROPERTIES)],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if result.returncode != 0:
        return {}
    props = dict(
        line.split("=", 1) for line in result.stdout.splitlines() if "=" in line
    )
    # ReadWritePaths lists paths space-separated; UMask comes as 0077.
    return props


def connect(params: dict[str, Any], with_credentials: bool) -> Any:
    kwargs: dict[str, Any] = {
        "socket_timeout": 10,
        "socket_connect_timeout": 5,
        "decode_responses": True,
    }
    if with_credentials:
        kwargs["username"] = params.get("login_user")
        kwargs["password"] = params.get("login_password")
    socket_path = params.get("login_unix_socket")
    if socket_path and os.path.exists(socket_path):
        return redis.Redis(unix_socket_path=socket_path, **kwargs)
    return redis.Redis(
        host=params.get("login_host") or "127.0.0.1",
        port=params.get("login_port") or 6379,
        **kwargs,
    )


# Opens a client on the server: with the audit's credentials (True) or as a
# client that presents none (False).
ClientFactory = Callable[[bool], Any]


def probe_unauthenticated(open_client: ClientFactory) -> str:
    """'open' if a client without credentials can run commands, else 'noauth'."""
    client = open_client(False)
    try:
        client.execute_command("DBSIZE")
        return "open"
    except redis.exceptions.ResponseError as exc:
        if "NOAUTH" in str(exc) or "NOPERM" in str(exc):
            return "noauth"
        raise
    except redis.exceptions.AuthenticationError:
        return "noauth"
    finally:
        client.close()


def admin_client(
    open_client: ClientFactory,
    has_password: bool,
    user: str | None,
    unauthenticated: str,
) -> Any:
    """A client that can read the configuration, or ProbeError."""
    if has_password:
        client = open_client(True)
        try:
            client.execute_command("PING")
            return client
        except (
            redis.exceptions.AuthenticationError,
            redis.exceptions.ResponseError,
        ) as exc:
            if not isinstance(exc, redis.exceptions.AuthenticationError) and (
                "WRONGPASS" not in str(exc)
            ):
                raise
            client.close()
            if unauthenticated != "open":
                raise ProbeError(
                    f"Redis refused the credentials of {user or 'default'}"
                ) from None
    if unauthenticated == "open":
        return open_client(False)
    raise ProbeError("Redis needs credentials: give the admin user and its password")


def dangerous_allowed(client: Any, users: dict[str, Any]) -> dict[str, list[str]]:
    """For each enabled user, the dangerous commands ACL DRYRUN lets through."""
    allowed: dict[str, list[str]] = {}
    for name, user in users.items():
        if "off" in user["flags"]:
            continue
        allowed[name] = []
        for command, call in DRYRUN_CALLS.items():
            reply = client.execute_command("ACL", "DRYRUN", name, *call)
            if _text(reply) == "OK":
                allowed[name].append(command)
    return allowed


def keyspace(client: Any) -> dict[str, Any]:
    """Key and Sidekiq job counts, read with SCAN, LLEN and ZCARD only."""
    info = client.info("keyspace")
    keys = {db: int(stats["keys"]) for db, stats in info.items()}
    queued = 0
    cursor = 0
    while True:
        cursor, names = client.scan(cursor=cursor, match="queue:*", count=1000)
        for name in names:
            if client.type(name) == "list":
                queued += client.llen(name)
        if int(cursor) == 0:
            break
    jobs = {"queued": queued}
    for name in SIDEKIQ_SETS:
        jobs[name] = client.zcard(name) if client.type(name) == "zset" else 0
    return {"keys": keys, "total_keys": sum(keys.values()), "sidekiq_jobs": jobs}


def server_identity(server: dict[str, Any]) -> dict[str, str]:
    """Product (redis or valkey) and version from INFO server."""
    if server.get("server_name") == "valkey" or "valkey_version" in server:
        return {"product": "valkey", "version": str(server.get("valkey_version", ""))}
    return {"product": "redis", "version": str(server.get("redis_version", ""))}


def os_release(path: str = "/etc/os-release") -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    return {key: value.strip().strip('"') for key, value in pairs}


def installed_package(product: str) -> dict[str, str]:
    """The Debian package that provides the server, as dpkg knows it.

    {"manager": "none"} when dpkg is missing or has no such package: the
    server was built or installed some other way, so its own version
    decides.
    """
    name = PACKAGES.get(product, "redis-server")
    try:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}\t${Version}", name],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {"manager": "none"}
    status, _, version = result.stdout.partition("\t")
    if result.returncode != 0 or not status.endswith(" installed") or not version:
        return {"manager": "none"}
    release = os_release()
    return {
        "manager": "dpkg",
        "name": name,
        "version": version.strip(),
        "distribution": release.get("ID", ""),
        "release": release.get("VERSION_CODENAME", ""),
    }


def gather_live(
    open_client: ClientFactory, has_password: bool, user: str | None
) -> dict[str, Any]:
    """Everything the Redis protocol tells: works from any host."""
    if redis is None:
        raise ProbeError(
            "the Python redis library is missing on the host "
            "(Debian: apt-get install python3-redis)"
        )
    try:
        unauthenticated = probe_unauthenticated(open_client)
        client = admin_client(open_client, has_password, user, unauthenticated)
        try:
            config = {_text(k): _text(v) for k, v in client.config_get("*").items()}
            users = dict(
                parse_acl_user(_text(line))
                for line in client.execute_command("ACL", "LIST")
            )
            dangerous = dangerous_allowed(client, users)
            server = client.info("server")
            space = keyspace(client)
        finally:
            client.close()
    except redis.exceptions.ConnectionError as exc:
        raise ProbeError(f"could not connect to Redis: {_sentence(exc)}") from None
    except redis.exceptions.ResponseError as exc:
        raise ProbeError(
            f"Redis refused a read-only audit command: {_sentence(exc)}"
        ) from None
    except redis.exceptions.RedisError as exc:
        raise ProbeError(f"reading Redis failed: {_sentence(exc)}") from None
    return {
        "local": False,
        "redis_version": server.get("redis_version", ""),
        "server": server_identity(server),
        "server_config_file": server.get("config_file", ""),
        "config": config,
        "users": users,
        "dangerous_allowed": dangerous,
        "unauthenticated": unauthenticated,
        "aclfile_plaintext_users": None,
        "package": None,
        "keyspace": space,
    }


def gather_local(
    live: dict[str, Any], config_file: str | None, service: str | None
) -> dict[str, Any]:
    """Add what only the host itself can read: files, unit, package."""
    config = live["config"]
    config_file = config_file or live.get("server_config_file") or ""
    acl_file = config.get("aclfile", "")
    data_dir = config.get("dir", "")
    files = {
        "config_file": stat_entry(config_file) if config_file else {"exists": False},
        "acl_file": stat_entry(acl_file) if acl_file else {"exists": False},
        "data_dir": stat_entry(data_dir) if data_dir else {"exists": False},
    }
    data_files = {}
    if data_dir and os.path.isdir(data_dir):
        # Dump files sit at the top; AOF files one level down (appendonlydir).
        # No deeper: a misconfigured dir (/, a home) must not be crawled.
        for root, dirs, names in os.walk(data_dir):
            for name in names:
                path = os.path.join(root, name)
                data_files[path] = stat_entry(path)
            if root != data_dir:
                dirs[:] = []
            if len(data_files) > MAX_DATA_FILES:
                break
    plaintext: list[str] = []
    if acl_file and os.path.isfile(acl_file):
        with open(acl_file, encoding="utf-8", errors="replace") as handle:
            plaintext = plaintext_password_users(handle.read())
    return {
        **live,
        "local": True,
        "aclfile_plaintext_users": plaintext,
        "config_dir": os.path.dirname(config_file) if config_file else "/etc/redis",
        "files": files,
        "data_files": data_files,
        "tls": tls_files(config),
        "service": unit_properties(service or "redis-server"),
        "package": installed_package(live["server"]["product"]),
    }


def gather(params: dict[str, Any]) -> dict[str, Any]:
    """Read everything audit.evaluate needs from the local host."""
    live = gather_live(
        lambda with_credentials: connect(params, with_credentials),
        bool(params.get("login_password")),
        params.get("login_user"),
    )
    snapshot = gather_local(live, params.get("config_file"), params.get("service"))
    snapshot["admin_users"] = list(params.get("admin_users") or [])
    return snapshot
