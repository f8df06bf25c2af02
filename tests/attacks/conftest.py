"""Fixtures for the attack suite run by `molecule verify -s attacks`.

Attacks are sent from the outsider host (no credentials) and from the app
host (the app's ACL user on the hardened server; on the stock server the
app, like every client, needs none) to the two lab servers. Commands run in
the containers through Testinfra's podman backend, so the traffic goes
between lab containers only.
"""

from __future__ import annotations

import os
import shlex
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

PODMAN_CONNECTIONS = {"podman", "containers.podman.podman"}
REDIS_PORT = 6379
ROGUE_PORT = 16379

# Replies that mean the server refused the command (authentication, ACL,
# or a command switched off server-wide).
REFUSALS = ("NOAUTH", "NOPERM", "WRONGPASS")
REFUSAL_PHRASES = ("command not allowed", "protected config")


def refused(reply: str) -> bool:
    first = reply.strip().splitlines()[0] if reply.strip() else ""
    return first.startswith(REFUSALS) or any(p in reply for p in REFUSAL_PHRASES)


def _inventory() -> str:
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not inventory:
        pytest.exit(
            "MOLECULE_INVENTORY_FILE is not set: run `molecule verify -s attacks`"
        )
    return inventory


@pytest.fixture(scope="session")
def runner() -> AnsibleRunner:
    return AnsibleRunner(_inventory())


def _host(runner: AnsibleRunner, name: str) -> Any:
    variables = runner.get_variables(name)
    if variables.get("ansible_connection") in PODMAN_CONNECTIONS:
        return testinfra.get_host(f"podman://{variables.get('ansible_host', name)}")
    return runner.get_host(name)


def _first(runner: AnsibleRunner, group: str) -> str:
    hosts = runner.get_hosts(group)
    if not hosts:
        pytest.fail(f"the inventory has no host in group {group}")
    return hosts[0]


def address_of(host: Any) -> str:
    return host.check_output(
        "ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1"
    )


@dataclass
class Server:
    kind: str  # stock or hardened
    name: str
    host: Any
    address: str
    variables: dict[str, Any]
    admin: tuple[str, str] | None = None  # user, password (hardened only)
    app_user: tuple[str, str] | None = None


@dataclass
class Vantage:
    kind: str  # outsider or app
    name: str
    host: Any
    address: str
    extra: dict[str, Any] = field(default_factory=dict)


def redis_cli(
    host: Any,
    *args: str,
    address: str,
    user: tuple[str, str] | None = None,
    db: int | None = None,
    timeout: int = 10,
    stdin: str | None = None,
    pipe: str | None = None,
) -> str:
    """One redis-cli call on `host`; the reply (or error) as text.

    The password travels in REDISCLI_AUTH, never on the command line.
    """
    parts = []
    if user is not None:
        parts.append(f"REDISCLI_AUTH={shlex.quote(user[1])}")
    parts += ["timeout", str(timeout), "redis-cli", "--no-auth-warning"]
    parts += ["-h", address, "-p", str(REDIS_PORT)]
    if user is not None:
        parts += ["--user", shlex.quote(user[0])]
    if db is not None:
        parts += ["-n", str(db)]
    parts += [shlex.quote(arg) for arg in args]
    command = " ".join(parts)
    if stdin is not None:
        command = f"printf %s {shlex.quote(stdin)} | {command}"
    if pipe is not None:
        command = f"{command} 2>&1 | {pipe}"
    result = host.run(command)
    return (result.stdout + result.stderr).strip()


@pytest.fixture(scope="session")
def servers(runner: AnsibleRunner) -> dict[str, Server]:
    stock_name = _first(runner, "stock_servers")
    hard_name = _first(runner, "redis_servers")
    stock_host, hard_host = _host(runner, stock_name), _host(runner, hard_name)
    hard_vars = runner.get_variables(hard_name)
    # The app's user: declared by profile (redis_acl) or, failing that,
    # directly to redis_server.
    app = (hard_vars.get("redis_acl_users") or hard_vars["redis_server_acl_users"])[0]
    return {
        "stock": Server(
            "stock",
            stock_name,
            stock_host,
            address_of(stock_host),
            runner.get_variables(stock_name),
        ),
        "hardened": Server(
            "hardened",
            hard_name,
            hard_host,
            address_of(hard_host),
            hard_vars,
            admin=(
                hard_vars.get("redis_server_admin_user", "admin"),
                hard_vars["redis_server_admin_password"],
            ),
            app_user=(app["name"], app["password"]),
        ),
    }


@pytest.fixture(scope="session")
def vantages(runner: AnsibleRunner) -> dict[str, Vantage]:
    result = {}
    for kind, group in (("outsider", "outsiders"), ("app", "app_servers")):
        name = _first(runner, group)
        host = _host(runner, name)
        result[kind] = Vantage(kind, name, host, address_of(host))
    return result


class Attack:
    """One attacker (vantage) against one server."""

    def __init__(self, server: Server, vantage: Vantage) -> None:
        self.server = server
        self.vantage = vantage
        # The app presents its ACL user where one exists; the outsider never
        # has credentials.
        self.user = server.app_user if vantage.kind == "app" else None

    @property
    def stock(self) -> bool:
        return self.server.kind == "stock"

    def cli(self, *args: str, **kwargs: Any) -> str:
        return redis_cli(
            self.vantage.host,
            *args,
            address=self.server.address,
            user=self.user,
            **kwargs,
        )

    def admin(self, *args: str, **kwargs: Any) -> str:
        """The server's own view, through its loopback (setup and checks)."""
        return redis_cli(
            self.server.host,
            *args,
            address="127.0.0.1",
            user=self.server.admin,
            **kwargs,
        )


# (server, vantage) pairs every attack runs against.
PAIRS = [
    ("stock", "outsider"),
    ("stock", "app"),
    ("hardened", "outsider"),
    ("hardened", "app"),
]
PAIR_IDS = [f"{s}-{v}" for s, v in PAIRS]


@pytest.fixture(params=PAIRS, ids=PAIR_IDS)
def attack(request, servers, vantages) -> Attack:
    server, vantage = request.param
    return Attack(servers[server], vantages[vantage])


ROGUE_SCRIPT = r"""
import socket, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", port))
srv.listen(8)
while True:
    conn, peer = srv.accept()
    conn.settimeout(3)
    data = b""
    try:
        while len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
            conn.sendall(b"-ERR rogue lab listener\r\n")
    except OSError:
        pass
    with open(log, "a") as out:
        out.write(f"{time.time():.0f} {peer[0]} {data[:2000]!r}\n")
    conn.close()
"""


class Rogue:
    """A listener on a lab host that records who connects and what they send."""

    def __init__(self, vantage: Vantage, port: int) -> None:
        self.vantage = vantage
        self.port = port
        self.log = f"/root/rogue-{port}.log"

    def start(self) -> None:
        host = self.vantage.host
        host.run(f"rm -f {self.log}")
        host.run(f"cat > /root/rogue.py <<'EOF'\n{ROGUE_SCRIPT}\nEOF")
        host.run(f"systemctl stop rogue-{self.port} 2>/dev/null; true")
        host.check_output(
            f"systemd-run --unit=rogue-{self.port} --collect "
            f"/usr/bin/python3 /root/rogue.py {self.port} {self.log}"
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if host.run(f"ss -ltn 'sport = :{self.port}' | grep -q LISTEN").rc == 0:
                return
            time.sleep(0.2)
        pytest.fail(f"the rogue listener on {self.vantage.name} did not start")

    def seen(self, wait: float) -> str:
        """What reached the listener within `wait` seconds."""
        deadline = time.monotonic() + wait
        while True:
            text = self.vantage.host.run(f"cat {self.log} 2>/dev/null").stdout
            if text or time.monotonic() > deadline:
                return text
            time.sleep(0.5)

    def clear(self) -> None:
        self.vantage.host.run(f"rm -f {self.log}")


@pytest.fixture(scope="session")
def rogue(vantages) -> Rogue:
    listener = Rogue(vantages["outsider"], ROGUE_PORT)
    listener.start()
    yield listener
    vantages["outsider"].host.run(f"systemctl stop rogue-{ROGUE_PORT}")


@pytest.fixture(scope="session")
def migrate_sink(vantages) -> Rogue:
    listener = Rogue(vantages["app"], ROGUE_PORT + 1)
    listener.start()
    yield listener
    vantages["app"].host.run(f"systemctl stop rogue-{ROGUE_PORT + 1}")
