"""The redis_server role's interface: defaults, argument specs, README, and
input checks that stop the play before any host is changed."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "redis_server"
INVENTORY = Path(__file__).parent / "fixtures" / "validation-inventory.yml"


def load(path: Path):
    return yaml.safe_load(path.read_text())


SPECS = load(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
DEFAULTS = load(ROLE / "defaults" / "main.yml")


def test_every_default_has_an_argument_spec_and_back():
    required = {name for name, spec in SPECS.items() if spec.get("required")}
    assert set(DEFAULTS) == set(SPECS) - required


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_spec_default_matches_defaults_file(name):
    value = DEFAULTS[name]
    if isinstance(value, str) and "{{" in value:
        value = yaml.safe_load(jinja2.Template(value).render(**DEFAULTS))
    assert SPECS[name].get("default") == value


def test_readme_variable_tables_match_the_argument_specs():
    result = subprocess.run(
        ["python", str(ROOT / "scripts" / "role-docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def run_play(extra_vars: dict) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
    env["ANSIBLE_NOCOLOR"] = "1"
    args = ["ansible-playbook", "-i", str(INVENTORY), "--check"]
    if extra_vars.pop("_only_checks", False):
        args += ["--tags", "redis_server_validate"]
    args += ["-e", json.dumps(extra_vars), str(ROOT / "playbooks" / "harden.yml")]
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
        timeout=300,
    )


def recap(output: str) -> dict[str, int]:
    line = next(
        line for line in output.splitlines() if line.startswith("validation-host")
    )
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def test_valid_variables_pass_the_checks():
    result = run_play({"_only_checks": True})
    assert result.returncode == 0, result.stdout[-2000:]


INVALID = [
    (
        {"redis_server_bind_addresses": ["127.0.0.1", "not-an-address"]},
        "redis_server_bind_addresses",
        "not-an-address",
    ),
    (
        {"redis_server_bind_addresses": ["0.0.0.0"]},
        "redis_server_bind_addresses",
        "0.0.0.0",
    ),
    ({"redis_server_bind_addresses": []}, "redis_server_bind_addresses", None),
    ({"redis_server_admin_password": "short"}, "redis_server_admin_password", None),
    (
        {"redis_server_denied_commands": ["config", "flushevery"]},
        "redis_server_denied_commands",
        "flushevery",
    ),
    (
        {"redis_server_enable_debug_command": "yes"},
        "redis_server_enable_debug_command",
        None,
    ),
    (
        {"redis_server_maxmemory_policy": "allkeys-lru"},
        "redis_server_maxmemory_policy",
        None,
    ),
    (
        {"redis_server_rename_commands": {"evalsha": ""}},
        "redis_server_rename_commands",
        None,
    ),
    ({"redis_server_acllog_max_len": 128}, "redis_server_acllog_max_len", None),
    (
        {
            "redis_server_acl_users": [
                {"name": "app", "password": "x" * 40, "rules": ["+@al l"]}
            ]
        },
        "redis_server_acl_users",
        None,
    ),
    (
        {"redis_server_waivers": [{"id": "NET-09", "reason": "typo"}]},
        "redis_server_waivers",
        "NET-09",
    ),
    (
        {"redis_server_waivers": [{"id": "NET-01", "reason": " "}]},
        "redis_server_waivers",
        None,
    ),
]

TLS_ON = {
    "redis_tls_enabled": True,
    "redis_tls_ca_passphrase": "a-test-only-ca-passphrase",
}
INVALID += [
    ({**TLS_ON, **extra}, variable, value)
    for extra, variable, value in [
        (
            {"redis_server_tls_protocols": ["TLSv1.1", "TLSv1.2"]},
            "redis_server_tls_protocols",
            None,
        ),
        ({"redis_server_tls_protocols": ["TLSv2"]}, "redis_server_tls_protocols", None),
        (
            {"redis_server_tls_ciphers": ["AES128-SHA"]},
            "redis_server_tls_ciphers",
            None,
        ),
        (
            {"redis_server_tls_ciphersuites": ["TLS_AES_128_CCM_8_SHA256"]},
            "redis_server_tls_ciphersuites",
            None,
        ),
        (
            {"redis_server_tls_auth_clients": "optional"},
            "redis_server_tls_auth_clients",
            None,
        ),
        ({"redis_server_tls_replication": False}, "redis_server_tls_replication", None),
        (
            {"redis_server_tls_keep_plaintext_port": True},
            "redis_server_tls_keep_plaintext_port",
            None,
        ),
        ({"redis_tls_ca_passphrase": "short"}, "redis_tls_ca_passphrase", None),
        ({"redis_tls_cert_days": 20}, "redis_tls_cert_days", None),
        ({"redis_tls_ca_source": "supplied"}, "redis_tls_server_cert", None),
    ]
]


@pytest.mark.parametrize(
    ("extra_vars", "variable", "value"), INVALID, ids=[case[1] for case in INVALID]
)
def test_invalid_variable_stops_the_play_before_any_change(extra_vars, variable, value):
    result = run_play(dict(extra_vars))
    assert result.returncode != 0
    assert variable in result.stdout
    if value:
        assert value in result.stdout
    counts = recap(result.stdout)
    assert counts["changed"] == 0 and counts["failed"] == 1
    # The failure is one of the checks, before the first task that installs.
    assert "Install the Redis server" not in result.stdout


def test_a_short_password_is_not_echoed():
    secret = "shortButSecret"
    result = run_play({"redis_server_admin_password": secret})
    assert result.returncode != 0
    assert secret not in result.stdout + result.stderr


def test_a_waiver_admits_the_insecure_value():
    result = run_play(
        {
            "_only_checks": True,
            "redis_server_bind_addresses": ["0.0.0.0"],
            "redis_server_waivers": [
                {"id": "NET-01", "reason": "behind a load balancer"}
            ],
        }
    )
    assert result.returncode == 0, result.stdout[-2000:]


def test_a_tls_waiver_admits_the_weaker_value():
    result = run_play(
        {
            **TLS_ON,
            "_only_checks": True,
            "redis_server_tls_auth_clients": "optional",
            # The role's own checks want the files; any existing file will do.
            "redis_server_tls_cert_file": str(INVENTORY),
            "redis_server_tls_key_file": str(INVENTORY),
            "redis_server_tls_ca_cert_file": str(INVENTORY),
            "redis_server_waivers": [
                {
                    "id": "TLS-02",
                    "reason": "clients without certificates during migration",
                }
            ],
        }
    )
    assert result.returncode == 0, result.stdout[-2000:]
