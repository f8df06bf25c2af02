"""Fixtures of the jobkeys scenario's Testinfra suite (DATA-02).

Hosts come from the Molecule inventory and are reached with Testinfra's
podman backend; the redis_cli helper and host lookup are the integration
suite's, imported from tests/integration/conftest.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOCKET = "/run/redis/redis-server.sock"
KEY_FILE = "/etc/sidekiq/job-keys.json"
OUT_DIR = "/var/lib/jobapp/out"
FAIL_DIR = "/var/lib/jobapp/fail"

_spec = importlib.util.spec_from_file_location(
    "integration_conftest", ROOT / "tests" / "integration" / "conftest.py"
)
assert _spec and _spec.loader
integration = importlib.util.module_from_spec(_spec)
# Registered first: its dataclass looks its own module up by name.
sys.modules[_spec.name] = integration
_spec.loader.exec_module(integration)
redis_cli = integration.redis_cli


@pytest.fixture(scope="session")
def runner():
    return integration.AnsibleRunner(integration._inventory())


@pytest.fixture(scope="session")
def redis_host(runner) -> Any:
    return integration._host(runner, integration._first(runner, "redis_servers"))


@pytest.fixture(scope="session")
def app_host(runner) -> Any:
    return integration._host(runner, integration._first(runner, "app_servers"))


@pytest.fixture(scope="session")
def redis_vars(runner) -> dict[str, Any]:
    return runner.get_variables(integration._first(runner, "redis_servers"))


@pytest.fixture(scope="session")
def admin(redis_host, redis_vars):
    """Run one command as the administrator through the server's socket."""

    def run(*args: str) -> str:
        return redis_cli(
            redis_host,
            *args,
            socket=SOCKET,
            user="admin",
            password=redis_vars["redis_server_admin_password"],
        )

    return run


def scan_redis(runner) -> dict[str, Any]:
    """Run the redis_job_scan module on the server as the read-only user."""
    server = integration._first(runner, "redis_servers")
    variables = runner.get_variables(server)
    args = {
        "login_unix_socket": SOCKET,
        "login_user": "jobscan",
        "login_password": variables["jobkeys_scan_password"],
        "families": ["sidekiq"],
    }
    result = run_ansible(
        [
            "-m",
            "jobqueue.redis_hardening.redis_job_scan",
            "-a",
            json.dumps(args),
            server,
        ]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    return report["plays"][0]["tasks"][0]["hosts"][server]


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    env["ANSIBLE_VAULT_PASSWORD_FILE"] = str(
        ROOT / "molecule" / "jobkeys" / "test-only-vault-password"
    )
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def run_ansible(args: list[str]) -> subprocess.CompletedProcess:
    """Run an ad-hoc module; the whole result comes back as JSON on stdout."""
    env = ansible_env()
    env["ANSIBLE_LOAD_CALLBACK_PLUGINS"] = "1"
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.json"
    return subprocess.run(
        ["ansible", "-i", os.environ["MOLECULE_INVENTORY_FILE"], *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def run_job_keys(extra_vars: dict[str, Any]) -> subprocess.CompletedProcess:
    """Apply playbooks/job-keys.yml again with some variables overridden."""
    return subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            "-e",
            json.dumps(extra_vars),
            str(ROOT / "playbooks" / "job-keys.yml"),
        ],
        capture_output=True,
        text=True,
        env=ansible_env(),
        check=False,
        timeout=300,
    )


def enqueue(app_host, job_class: str, order_id: int, card: str) -> str:
    """Push a job through the Ruby client (and its middleware); return the jid."""
    return app_host.check_output(
        f"runuser -u sidekiq -- /opt/jobapp/enqueue {job_class} {order_id} {card}"
    ).strip()


def wait_for_result(app_host, jid: str, timeout: float = 60) -> dict[str, Any]:
    """What the worker's perform received for job `jid`."""
    path = f"{OUT_DIR}/{jid}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app_host.file(path).exists:
            return json.loads(app_host.file(path).content_string)
        time.sleep(0.5)
    journal = app_host.run("journalctl -u jobapp-worker -n 30 --no-pager").stdout
    pytest.fail(f"job {jid} was not performed within {timeout}s:\n{journal}")


@pytest.fixture
def worker(app_host):
    """The Sidekiq worker service, started for the test and stopped after."""
    app_host.check_output("systemctl start jobapp-worker")
    yield
    app_host.check_output("systemctl stop jobapp-worker")
