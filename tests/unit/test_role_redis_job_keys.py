"""The redis_job_keys role's interface: defaults against argument specs, and
input checks that stop the play before any host is changed (DATA-02)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "redis_job_keys"
INVENTORY = Path(__file__).parent / "fixtures" / "job-keys-inventory.yml"
GOOD_KEY = "qDcFyjF/LfuxBy9FhZ2rQKsqhK13cOE4/PFHjrsmn8A="


def load(path: Path):
    return yaml.safe_load(path.read_text())


SPECS = load(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
DEFAULTS = load(ROLE / "defaults" / "main.yml")


def test_every_default_has_an_argument_spec_and_back():
    required = {name for name, spec in SPECS.items() if spec.get("required")}
    assert set(DEFAULTS) == set(SPECS) - required


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_spec_default_matches_defaults_file(name):
    # Templated defaults are compared as written; the role renders both.
    assert SPECS[name].get("default") == DEFAULTS[name]


def run_checks(extra_vars: dict) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / ".collections")
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
    env["ANSIBLE_NOCOLOR"] = "1"
    return subprocess.run(
        [
            "ansible-playbook",
            "-i",
            str(INVENTORY),
            "--check",
            "--tags",
            "redis_job_keys_validate",
            "-e",
            json.dumps(extra_vars),
            str(ROOT / "playbooks" / "job-keys.yml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
        timeout=300,
    )


def recap(output: str) -> dict[str, int]:
    line = next(
        line for line in output.splitlines() if line.startswith("validation-app")
    )
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def test_valid_keys_pass_the_checks():
    result = run_checks({})
    assert result.returncode == 0, result.stdout + result.stderr
    assert recap(result.stdout)["failed"] == 0


def keys(*pairs: tuple[int, str]) -> list[dict]:
    return [{"version": v, "key": k} for v, k in pairs]


# 31 bytes, 33 bytes, hex, and a 44-character string whose last character
# carries bits a 32-byte key cannot have.
SHORT_KEY = "qDcFyjF/LfuxBy9FhZ2rQKsqhK13cOE4/PFHjrsmnw=="
LONG_KEY = "qDcFyjF/LfuxBy9FhZ2rQKsqhK13cOE4/PFHjrsmn8AB"
HEX_KEY = "a8" * 32
NOT_CANONICAL = "qDcFyjF/LfuxBy9FhZ2rQKsqhK13cOE4/PFHjrsmn8B="

INVALID = [
    ({"redis_job_keys_keys": keys((1, GOOD_KEY), (2, SHORT_KEY))}, "version(s) 2"),
    ({"redis_job_keys_keys": keys((1, GOOD_KEY), (2, LONG_KEY))}, "version(s) 2"),
    ({"redis_job_keys_keys": keys((1, HEX_KEY), (2, GOOD_KEY))}, "version(s) 1"),
    ({"redis_job_keys_keys": keys((1, NOT_CANONICAL), (2, GOOD_KEY))}, "version(s) 1"),
    ({"redis_job_keys_keys": keys((2, GOOD_KEY), (2, GOOD_KEY))}, "appear once"),
    ({"redis_job_keys_keys": keys((0, GOOD_KEY), (2, GOOD_KEY))}, "positive"),
    ({"redis_job_keys_active_version": 3}, "redis_job_keys_active_version is 3"),
    ({"redis_job_keys_retire": [2]}, "redis_job_keys_retire"),
    ({"redis_job_keys_keys": []}, "redis_job_keys_keys is empty"),
    ({"redis_job_keys_scan_host": "nowhere"}, "redis_job_keys_scan_host is 'nowhere'"),
]


@pytest.mark.parametrize(
    ("extra_vars", "message"), INVALID, ids=[m for _, m in INVALID]
)
def test_invalid_variable_stops_the_play_before_any_change(extra_vars, message):
    result = run_checks(extra_vars)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert message in output
    counts = recap(result.stdout)
    assert counts["changed"] == 0 and counts["failed"] == 1
    # No key is ever printed, not even a malformed one.
    for entry in extra_vars.get("redis_job_keys_keys", []):
        assert entry["key"] not in output
    assert GOOD_KEY not in output


def test_a_key_that_is_not_text_fails_the_argument_spec_without_echo():
    result = run_checks({"redis_job_keys_keys": [{"version": 1}]})
    assert result.returncode != 0
    assert "redis_job_keys_keys" in result.stdout + result.stderr
