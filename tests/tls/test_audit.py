"""The audit agrees with the wire: on the TLS server, NET-04 and TLS-01..04
pass, and every other evaluated control still passes with TLS on."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import ansible_env

TLS_CONTROLS = {"NET-04", "TLS-01", "TLS-02", "TLS-03", "TLS-04"}


@pytest.fixture(scope="module")
def report(lab) -> dict:
    env = ansible_env()
    env["ANSIBLE_LOAD_CALLBACK_PLUGINS"] = "1"
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.json"
    args = {
        "login_user": "admin",
        "login_password": lab.variables["redis_server_admin_password"],
        "admin_users": ["admin"],
    }
    result = subprocess.run(
        [
            "ansible",
            "-i",
            os.environ["MOLECULE_INVENTORY_FILE"],
            "rh-tls-redis",
            "--become",
            "-m",
            "jobqueue.redis_hardening.redis_audit",
            "-a",
            json.dumps(args),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=180,
    )
    host = json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"]["rh-tls-redis"]
    assert not host.get("failed"), host.get("msg")
    assert lab.variables["redis_server_admin_password"] not in result.stdout
    return {c["id"]: c for c in host["controls"]}


def test_the_audit_passes_net_04_and_tls_01_to_04(report):
    assert {cid: report[cid]["status"] for cid in TLS_CONTROLS} == {
        cid: "pass" for cid in TLS_CONTROLS
    }, {cid: report[cid]["detail"] for cid in TLS_CONTROLS}
    assert "more days" in report["TLS-04"]["detail"]


def test_every_other_evaluated_control_passes_with_tls_on(report):
    failed = {
        cid: c["detail"]
        for cid, c in report.items()
        if c["status"] not in ("pass", "not evaluated")
    }
    assert failed == {}
