"""Fixtures of the tls scenario's Testinfra suite (NET-04, TLS-01..TLS-05).

Hosts come from the Molecule inventory; the host lookup and redis_cli helper
are the integration suite's, imported from tests/integration/conftest.py.
Every connection goes to the scenario's own containers.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOCKET = "/run/redis/redis-server.sock"
PORT = 6379
SERVER_TLS = "/etc/redis/tls"
APP_TLS = "/etc/jobapp/tls"
SCANNER_TLS = "/etc/tls-scanner"
OUT_DIR = "/var/lib/jobapp/out"

_spec = importlib.util.spec_from_file_location(
    "integration_conftest", ROOT / "tests" / "integration" / "conftest.py"
)
assert _spec and _spec.loader
integration = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = integration
_spec.loader.exec_module(integration)
redis_cli = integration.redis_cli


@dataclass
class Lab:
    runner: Any
    redis: Any
    app: Any
    outsider: Any
    address: str
    variables: dict[str, Any]

    def admin(self, *args: str) -> str:
        """One command as the administrator, through the server's socket."""
        return redis_cli(
            self.redis,
            *args,
            socket=SOCKET,
            user="admin",
            password=self.variables["redis_server_admin_password"],
        )


@pytest.fixture(scope="session")
def lab() -> Lab:
    runner = integration.AnsibleRunner(integration._inventory())
    server = integration._first(runner, "redis_servers")
    redis = integration._host(runner, server)
    address = redis.check_output(
        "ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -n1"
    )
    return Lab(
        runner=runner,
        redis=redis,
        app=integration._host(runner, integration._first(runner, "app_servers")),
        outsider=integration._host(runner, integration._first(runner, "outsiders")),
        address=address,
        variables=runner.get_variables(server),
    )


def tls_cli(
    host: Any,
    address: str,
    *args: str,
    tls_dir: str | None = None,
    name: str | None = None,
    tls: bool = True,
    user: str | None = None,
    password: str | None = None,
    port: int = PORT,
) -> str:
    """redis-cli from `host` over the network; reply or error text.

    With `name`, the client presents tls_dir/name.crt and .key; the server
    is always checked against tls_dir/ca.crt.
    """
    parts = []
    if password is not None:
        parts.append(f"REDISCLI_AUTH={shlex.quote(password)}")
    parts += ["timeout", "10", "redis-cli", "--no-auth-warning", "-h", address]
    parts += ["-p", str(port)]
    if tls:
        parts += ["--tls", "--cacert", f"{tls_dir}/ca.crt"]
        if name:
            parts += [
                "--cert",
                f"{tls_dir}/{name}.crt",
                "--key",
                f"{tls_dir}/{name}.key",
            ]
    if user:
        parts += ["--user", shlex.quote(user)]
    parts += [shlex.quote(arg) for arg in args]
    result = host.run(" ".join(parts))
    return (result.stdout + result.stderr).strip()


def served_certificate(lab: Lab) -> dict[str, str]:
    """Serial and end date of the certificate the server presents now."""
    out = lab.app.check_output(
        "openssl s_client -connect %s:%s -CAfile %s/ca.crt -cert %s/sidekiq.crt "
        "-key %s/sidekiq.key </dev/null 2>/dev/null | openssl x509 -noout -serial -enddate",
        lab.address,
        str(PORT),
        APP_TLS,
        APP_TLS,
        APP_TLS,
    )
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return {"serial": fields["serial"], "not_after": fields["notAfter"]}


def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    return env


def converge() -> dict[str, dict[str, int]]:
    """Run the scenario's converge again; return PLAY RECAP counts by host."""
    result = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            str(ROOT / "molecule" / "tls" / "converge.yml"),
        ],
        capture_output=True,
        text=True,
        env=ansible_env(),
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    recap = result.stdout[result.stdout.rindex("PLAY RECAP") :]
    counts = {}
    for line in recap.splitlines()[1:]:
        match = re.match(r"^(\S+)\s*:\s*(.*)$", line)
        if match:
            counts[match.group(1)] = {
                key: int(value)
                for key, value in re.findall(r"(\w+)=(\d+)", match.group(2))
            }
    return counts


def wait_for_job(app: Any, jid: str, timeout: float = 60) -> str:
    """The file the worker wrote for job `jid`."""
    path = f"{OUT_DIR}/{jid}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.file(path).exists:
            return app.file(path).content_string
        time.sleep(0.5)
    journal = app.run("journalctl -u jobapp-worker -n 30 --no-pager").stdout
    pytest.fail(f"job {jid} was not performed within {timeout}s:\n{journal}")
