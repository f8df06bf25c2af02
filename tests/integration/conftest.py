"""Shared fixtures for the Testinfra suite run by Molecule's verify step.

Hosts come from the Molecule inventory (MOLECULE_INVENTORY_FILE). Containers
are reached with Testinfra's podman backend directly, which is much faster
than going through Ansible for each command; any other host falls back to
Testinfra's Ansible backend.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import dataclass
from typing import Any

import pytest
import testinfra
from testinfra.utils.ansible_runner import AnsibleRunner

PODMAN_CONNECTIONS = {"podman", "containers.podman.podman"}
REDIS_PORT = 6379


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


@dataclass
class RedisUnderTest:
    """The hardened server and what the inventory says about it."""

    host: Any
    name: str
    address: str
    admin_user: str
    admin_password: str
    users: list[dict[str, Any]]
    variables: dict[str, Any]


@pytest.fixture(scope="session")
def redis_server(runner: AnsibleRunner) -> RedisUnderTest:
    name = _first(runner, "redis_servers")
    host = _host(runner, name)
    variables = runner.get_variables(name)
    address = host.check_output(
        "ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1"
    )
    return RedisUnderTest(
        host=host,
        name=name,
        address=address,
        admin_user=variables.get("redis_server_admin_user", "admin"),
        admin_password=variables["redis_server_admin_password"],
        users=variables.get("redis_server_acl_users", []),
        variables=variables,
    )


@pytest.fixture(scope="session")
def app_host(runner: AnsibleRunner) -> Any:
    return _host(runner, _first(runner, "app_servers"))


@pytest.fixture(scope="session")
def outsider_host(runner: AnsibleRunner) -> Any:
    return _host(runner, _first(runner, "outsiders"))


def redis_cli(
    host: Any,
    *args: str,
    address: str | None = None,
    socket: str | None = None,
    user: str | None = None,
    password: str | None = None,
) -> str:
    """Run one command with redis-cli on `host` and return its reply text.

    The password travels in REDISCLI_AUTH, not on redis-cli's command line.
    Error replies are returned as text (redis-cli exits 0 on them), so tests
    assert on what the server answered.
    """
    parts = []
    if password is not None:
        parts.append(f"REDISCLI_AUTH={shlex.quote(password)}")
    # A command the server wrongly allows (MONITOR, say) would never return.
    parts += ["timeout", "10", "redis-cli", "--no-auth-warning"]
    parts += (
        ["-s", socket]
        if socket
        else ["-h", address or "127.0.0.1", "-p", str(REDIS_PORT)]
    )
    if user:
        parts += ["--user", shlex.quote(user)]
    parts += [shlex.quote(arg) for arg in args]
    result = host.run(" ".join(parts))
    return (result.stdout + result.stderr).strip()


@pytest.fixture(scope="session")
def admin(redis_server: RedisUnderTest):
    """Run a command as the administrator through the local socket."""

    def run(*args: str) -> str:
        return redis_cli(
            redis_server.host,
            *args,
            socket=redis_server.variables.get(
                "redis_server_unixsocket", "/run/redis/redis-server.sock"
            ),
            user=redis_server.admin_user,
            password=redis_server.admin_password,
        )

    return run


@pytest.fixture(scope="session")
def seeded_counts(redis_server: RedisUnderTest) -> dict[str, int]:
    """Key and job counts that the prepare step loaded before hardening."""
    return json.loads(
        redis_server.host.file("/root/lab-seed-counts.json").content_string
    )
