"""Fixtures for the molecule/acl scenario.

The host fixtures and the redis_cli helper come from tests/integration's
conftest (loaded under another module name, since both are `conftest`).
Credentials are read where the apps read them: the files the
redis_app_credentials role writes on the app host.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]

_spec = importlib.util.spec_from_file_location(
    "integration_conftest", REPO_ROOT / "tests" / "integration" / "conftest.py"
)
integration = importlib.util.module_from_spec(_spec)
sys.modules["integration_conftest"] = integration  # dataclasses look it up
_spec.loader.exec_module(integration)

# Re-exported fixtures and helpers.
runner = integration.runner
redis_server = integration.redis_server
app_host = integration.app_host
outsider_host = integration.outsider_host
admin = integration.admin


class _TimeLimited:
    """A host whose commands are stopped after 10 s, so that a command the
    ACL wrongly allows (MONITOR streams for ever) fails the test instead of
    hanging it."""

    def __init__(self, host: Any) -> None:
        self.host = host

    def run(self, command: str) -> Any:
        return self.host.run(f"timeout 10 env {command}")


def redis_cli(host: Any, *args: str, **kwargs: Any) -> str:
    return integration.redis_cli(_TimeLimited(host), *args, **kwargs)


SIDEKIQ_ENV = "/etc/sidekiq/redis.env"
WEB_ENV = "/etc/sidekiq-web/redis.env"
CLIENT = "/opt/sidekiq-lab/client.rb"
PERFORMED_LOG = "/var/lib/sidekiq-lab/performed.log"


@dataclass
class Credentials:
    user: str
    password: str
    host: str
    port: int


def read_credentials(app_host: Any, path: str) -> Credentials:
    text = app_host.file(path).content_string
    url = next(
        line.split("=", 1)[1]
        for line in text.splitlines()
        if line.startswith("REDIS_URL=")
    )
    parts = urlsplit(url)
    return Credentials(
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        host=parts.hostname or "",
        port=parts.port or 6379,
    )


def as_user(app_host: Any, user: str, path: str, *args: str) -> dict:
    """Run the test app's client as `user` with the credentials in `path`."""
    command = " ".join(
        [
            "runuser",
            "-u",
            user,
            "--",
            "env",
            f"REDIS_ENV_FILE={path}",
            "ruby",
            CLIENT,
            *(shlex.quote(a) for a in args),
        ]
    )
    result = app_host.run(command)
    assert result.rc == 0, f"client.rb {args[0]} failed: {result.stderr[-800:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def sidekiq(app_host: Any, *args: str) -> dict:
    return as_user(app_host, "sidekiq", SIDEKIQ_ENV, *args)


def dashboard(app_host: Any) -> dict:
    return as_user(app_host, "sidekiq-web", WEB_ENV, "stats")


def performed(app_host: Any) -> list[str]:
    log = app_host.file(PERFORMED_LOG)
    return log.content_string.splitlines() if log.exists else []


def wait_for(predicate, timeout: float, what: str, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


def run_playbook(playbook: str, *extra: str) -> subprocess.CompletedProcess:
    """Run a playbook of the collection against the scenario's inventory."""
    inventory = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    return subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(REPO_ROOT / playbook), *extra],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={**os.environ, "ANSIBLE_NOCOLOR": "1"},
    )


@pytest.fixture
def sidekiq_credentials(app_host) -> Credentials:
    """Read afresh for each test: the rotation test changes them."""
    return read_credentials(app_host, SIDEKIQ_ENV)


@pytest.fixture(scope="session")
def secrets_dir() -> Path:
    return Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "secrets"
