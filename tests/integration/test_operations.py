"""OPS-01 and OPS-02: the job queue keeps working and keeps its jobs."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def live_counts(admin) -> dict[str, int]:
    queues = admin("SMEMBERS", "queues").split()
    return {
        "total_keys": int(admin("DBSIZE")),
        "queued": sum(int(admin("LLEN", f"queue:{q}")) for q in queues),
        "schedule": int(admin("ZCARD", "schedule")),
        "retry": int(admin("ZCARD", "retry")),
        "dead": int(admin("ZCARD", "dead")),
    }


def test_OPS_01_never_evicts(admin):
    assert admin("CONFIG", "GET", "maxmemory-policy").splitlines()[1] == "noeviction"


def test_OPS_02_hardening_kept_every_key_and_job(admin, seeded_counts):
    assert live_counts(admin) == seeded_counts


def converge(redis_server, extra_vars: dict) -> subprocess.CompletedProcess:
    """Run the scenario's converge again with some variables overridden."""
    env = dict(os.environ)
    env.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    # One line per result, so messages can be matched without YAML folding.
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
    return subprocess.run(
        [
            "ansible-playbook",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            "--limit",
            redis_server.name,
            "-e",
            json.dumps(extra_vars),
            str(ROOT / "playbooks" / "harden.yml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )


def state(redis_server):
    host = redis_server.host
    return (
        host.file("/etc/redis/redis.conf").sha256sum,
        host.check_output("systemctl show -p MainPID --value redis-server"),
    )


@pytest.mark.slow
def test_OPS_02_rejected_config_leaves_old_one_running(
    redis_server, admin, seeded_counts
):
    before = state(redis_server)
    result = converge(
        redis_server, {"redis_server_extra_config": {"no-such-directive": "1"}}
    )
    assert result.returncode != 0
    # Molecule's ansible.cfg sets display_failed_stderr: failures go to stderr.
    assert "failed to validate" in result.stdout + result.stderr
    assert redis_server.host.check_output("find /etc/redis -name '*~'") == ""
    assert state(redis_server) == before, "the config changed or Redis restarted"
    assert admin("PING") == "PONG"
    assert live_counts(admin) == seeded_counts


@pytest.mark.slow
def test_OPS_02_failed_restart_puts_old_config_back(redis_server, admin, seeded_counts):
    host = redis_server.host
    conf_before = host.file("/etc/redis/redis.conf").sha256sum
    # Valid for the checker, which opens no TCP port, but the port is taken,
    # so the restart itself fails.
    host.run("systemd-run --unit=ops02-port-holder nc -lk 127.0.0.1 6390")
    try:
        result = converge(redis_server, {"redis_server_port": 6390})
    finally:
        host.run("systemctl stop ops02-port-holder")
    assert result.returncode != 0
    assert "previous files were put back" in result.stdout + result.stderr
    assert host.file("/etc/redis/redis.conf").sha256sum == conf_before
    assert host.check_output("find /etc/redis -name 'redis.conf.*~'") == ""
    assert admin("PING") == "PONG"
    assert live_counts(admin) == seeded_counts
