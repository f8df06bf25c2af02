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
from typing import Any

from .audit import DANGEROUS_COMMANDS

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


def probe_unauthenticated(params: dict[str, Any]) -> str:
    """'open' if a client without credentials can run commands, else 'noauth'."""
    client = connect(params, with_credentials=False)
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


def admin_client(params: dict[str, Any], unauthenticated: str) -> Any:
    """A client that can read the configuration, or ProbeError."""
    if params.get("login_password"):
        client = connect(params, with_credentials=True)
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
                    "Redis refused the credentials of "
                    f"{params.get('login_user') or 'default'}"
                ) from None
    if unauthenticated == "open":
        return connect(params, with_credentials=False)
    raise ProbeError("Redis needs credentials: set login_user and login_password")


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


def gather(params: dict[str, Any]) -> dict[str, Any]:
    """Read everything audit.evaluate needs from the local host."""
    if redis is None:
        raise ProbeError(
            "the Python redis library is missing on the host "
            "(Debian: apt-get install python3-redis)"
        )
    try:
        unauthenticated = probe_unauthenticated(params)
        client = admin_client(params, unauthenticated)
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

    config_file = params.get("config_file") or server.get("config_file") or ""
    acl_file = config.get("aclfile", "")
    data_dir = config.get("dir", "")
    files = {
        "config_file": stat_entry(config_file) if config_file else {"exists": False},
        "acl_file": stat_entry(acl_file) if acl_file else {"exists": False},
        "data_dir": stat_entry(data_dir) if data_dir else {"exists": False},
    }
    data_files = {}
    if data_dir and os.path.isdir(data_dir):
        for root, _dirs, names in os.walk(data_dir):
            for name in names:
                path = os.path.join(root, name)
                data_files[path] = stat_entry(path)
    plaintext: list[str] = []
    if acl_file and os.path.isfile(acl_file):
        with open(acl_file, encoding="utf-8", errors="replace") as handle:
            plaintext = plaintext_password_users(handle.read())

    return {
        "redis_version": server.get("redis_version", ""),
        "config": config,
        "users": users,
        "admin_users": list(params.get("admin_users") or []),
        "dangerous_allowed": dangerous,
        "unauthenticated": unauthenticated,
        "aclfile_plaintext_users": plaintext,
        "config_dir": os.path.dirname(config_file) if config_file else "/etc/redis",
        "files": files,
        "data_files": data_files,
        "service": unit_properties(params.get("service") or "redis-server"),
        "keyspace": space,
    }
