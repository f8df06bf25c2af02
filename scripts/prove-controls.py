#!/usr/bin/env python3
"""Proves that each control's tests can fail: switch the control off, expect
its tests to fail, switch it back on, expect them to pass again.

Works on the Molecule `default` scenario's hosts (created and converged by
this script). For each control it copies the scenario's inventory, adds a
host_vars file with a waiver and the weaker value, converges with it, runs
the tests whose names carry the control's ID against it, then converges
with the original inventory again. The tests read the same inventory as the
play, so they see what the play was told. Prints one line per control;
exits 1 if any control's tests did not fail when it was off, or did not
pass again once it was back on.

    make prove-controls        # about 15 minutes
    python scripts/prove-controls.py NET-01 OPS-01
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVER = "rh-mol-redis"

MUTATIONS: dict[str, dict] = {
    # The weakness under test: Redis on every address of the lab host.
    "NET-01": {"redis_server_bind_addresses": ["0.0.0.0"]},  # noqa: S104
    "NET-02": {"redis_server_protected_mode": False},
    "AUTH-01": {"redis_server_default_user_enabled": True},
    # Passwords are only ever stored as hashes; the weakness left to switch
    # on is a user without password, which also waives AUTH-01.
    "AUTH-02": {"redis_server_default_user_enabled": True, "_also_waive": ["AUTH-01"]},
    "CMD-01": {"redis_server_denied_commands": []},
    "CMD-02": {
        "redis_server_enable_debug_command": "yes",
        "redis_server_enable_module_command": "yes",
        "redis_server_enable_protected_configs": "yes",
    },
    "FS-01": {
        "redis_server_umask": "0007",
        "redis_server_data_dir_mode": "0770",
        "redis_server_data_file_mode": "0660",
    },
    "FS-02": {"redis_server_config_mode": "0644"},
    "FS-03": {"redis_server_systemd_sandbox": False},
    "LOG-01": {"redis_server_acllog_max_len": 128},
    "OPS-01": {"redis_server_maxmemory_policy": "allkeys-lru"},
    "OPS-02": {"redis_server_safe_restart": False},
}


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, text=True, capture_output=True, **kwargs)


def inventory_dir() -> Path:
    found = glob.glob(os.path.expanduser("~/.ansible/tmp/molecule.*.default/inventory"))
    if not found:
        sys.exit("no Molecule inventory for the default scenario")
    return Path(max(found, key=os.path.getmtime))


def converge(inventory: Path) -> bool:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"))
    result = run(
        ["ansible-playbook", "-i", str(inventory), "molecule/default/converge.yml"],
        env=env,
    )
    return result.returncode == 0


def tests_pass(control_id: str, inventory: Path) -> bool:
    env = dict(
        os.environ, MOLECULE_INVENTORY_FILE=str(inventory / "ansible_inventory.yml")
    )
    keyword = control_id.replace("-", "_")
    result = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            keyword,
            "tests/integration",
        ],
        env=env,
    )
    if result.returncode not in (0, 1):
        # Not a test failure: pytest itself could not run the tests.
        print(
            f"  pytest exited {result.returncode}: {result.stdout[-400:]}", flush=True
        )
    return result.returncode == 0


def main(selected: list[str]) -> int:
    controls = selected or list(MUTATIONS)
    print("Preparing the default scenario (create, prepare, converge)")
    for step in ("create", "prepare", "converge"):
        run(["molecule", step, "-s", "default"], check=True)
    inventory = inventory_dir()
    failures = 0
    for control_id in controls:
        overrides = dict(MUTATIONS[control_id])
        waived = [control_id, *overrides.pop("_also_waive", [])]
        overrides["redis_server_waivers"] = [
            {"id": waived_id, "reason": "switched off to prove its tests can fail"}
            for waived_id in waived
        ]
        with tempfile.TemporaryDirectory() as scratch:
            weakened = Path(scratch) / "inventory"
            shutil.copytree(inventory, weakened)
            (weakened / "host_vars").mkdir(exist_ok=True)
            (weakened / "host_vars" / f"{SERVER}.yml").write_text(
                yaml.safe_dump(overrides)
            )
            applied = converge(weakened)
            failed_when_off = not tests_pass(control_id, weakened)
        restored = converge(inventory)
        passed_when_on = tests_pass(control_id, inventory)
        ok = failed_when_off and restored and passed_when_on
        failures += not ok
        print(
            f"{control_id:8} off: converge {'ok' if applied else 'failed'}, tests "
            f"{'FAILED (as they must)' if failed_when_off else 'passed (WRONG)'}; "
            f"on again: tests {'passed' if passed_when_on else 'FAILED (WRONG)'}",
            flush=True,
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
