"""Fixtures for the firewall scenario (molecule/firewall), run by its verify.

Hosts come from the Molecule inventory and are reached through Testinfra's
podman backend. Every probe goes to an address of the scenario's own
containers on the rh-fw network, never anywhere else.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

ROOT = Path(__file__).resolve().parents[2]
PODMAN_CONNECTIONS = {"podman", "containers.podman.podman"}
TABLE = "redis_hardening"
# Bounded waits: a dropped SYN is given this long before the port counts as
# unreachable, and a host this long to boot.
CONNECT_TIMEOUT = 3
BOOT_TIMEOUT = 60


def pytest_configure(config: pytest.Config) -> None:
    # Molecule runs pytest from the scenario directory, where no ini applies.
    config.addinivalue_line(
        "markers", "slow: re-runs the playbook or restarts a host of the scenario"
    )


def _inventory() -> str:
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not inventory:
        pytest.exit("MOLECULE_INVENTORY_FILE is not set: run through `molecule verify`")
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


def ipv4_address(host: Any) -> str:
    return host.check_output(
        "ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1"
    )


@dataclass
class Server:
    """The guarded Redis server and what the inventory says about it."""

    host: Any
    name: str
    container: str
    address: str
    variables: dict[str, Any]

    @property
    def ports(self) -> list[int]:
        # The role's defaults, where the inventory sets nothing.
        defaults = {"redis_port": 6379, "tls_port": 0, "sentinel_port": 0}
        found = [
            self.variables.get(f"redis_firewall_{name}", default)
            for name, default in defaults.items()
        ]
        return [int(port) for port in found if int(port)]


@pytest.fixture(scope="session")
def server(runner: AnsibleRunner) -> Server:
    name = _first(runner, "redis_servers")
    host = _host(runner, name)
    variables = runner.get_variables(name)
    return Server(
        host=host,
        name=name,
        container=variables.get("ansible_host", name),
        address=ipv4_address(host),
        variables=variables,
    )


@pytest.fixture(scope="session")
def app_host(runner: AnsibleRunner) -> Any:
    return _host(runner, _first(runner, "app_servers"))


@pytest.fixture(scope="session")
def outsider_host(runner: AnsibleRunner) -> Any:
    return _host(runner, _first(runner, "outsiders"))


def redis_ping(client: Any, address: str, port: int = 6379) -> str:
    """PING from `client`; redis-cli gives up after CONNECT_TIMEOUT seconds."""
    result = client.run(
        f"timeout {CONNECT_TIMEOUT} redis-cli --no-auth-warning"
        f" -h {shlex.quote(address)} -p {port} PING"
    )
    return (result.stdout + result.stderr).strip() or f"exit {result.rc}"


def connect_rc(client: Any, address: str, port: int) -> int:
    """Open a TCP connection from `client`: 0 open, 1 refused, 124 timed out."""
    script = f"</dev/tcp/{address}/{port}"
    return client.run(f"timeout {CONNECT_TIMEOUT} bash -c {shlex.quote(script)}").rc


def table_text(host: Any, family: str, name: str) -> str | None:
    result = host.run(f"nft list table {family} {name}")
    return result.stdout if result.rc == 0 else None


def wait_for_table(host: Any, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if table_text(host, "inet", TABLE) is not None:
            return True
        time.sleep(0.5)
    return False


def wait_for_boot(host: Any) -> str:
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        result = host.run("timeout 30 systemctl is-system-running --wait")
        if result.stdout.strip() in {"running", "degraded"}:
            return result.stdout.strip()
        time.sleep(1)
    pytest.fail(f"the host did not boot within {BOOT_TIMEOUT} s")


def converge(
    server: Server, extra_vars: dict[str, Any] | None = None, tags: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run playbooks/harden.yml on the server again, with variables overridden."""
    env = dict(os.environ)
    env.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
    env["ANSIBLE_NOCOLOR"] = "1"
    command = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"]]
    command += ["--limit", server.name]
    if tags:
        command += ["--tags", tags]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    command.append(str(ROOT / "playbooks" / "harden.yml"))
    return subprocess.run(
        command, capture_output=True, text=True, env=env, check=False, timeout=300
    )


def recap_changed(result: subprocess.CompletedProcess[str], name: str) -> int:
    for line in result.stdout.splitlines():
        if line.startswith(name) and "changed=" in line:
            return int(line.split("changed=")[1].split()[0])
    raise AssertionError(f"no recap line for {name}:\n{result.stdout[-2000:]}")
