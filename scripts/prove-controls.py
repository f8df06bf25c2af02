#!/usr/bin/env python3
"""Proves that each control's tests can fail: switch the control off, expect
its tests to fail, switch it back on, expect them to pass again.

Works on the hosts of a Molecule scenario (`default`, or `tls` for the TLS
controls), created and converged by this script. For each control it copies
the scenario's inventory, adds host_vars files with a waiver and the weaker
value, converges with it, runs the scenario's tests whose names carry the
control's ID against it, then converges with the original inventory again.
The tests read the same inventory as the play, so they see what the play was
told. Prints one line per control; exits 1 if any control's tests did not
fail when it was off, or did not pass again once it was back on.

    make prove-controls        # about 40 minutes
    python scripts/prove-controls.py NET-01 TLS-02
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Scenario -> the hosts that get the weaker values, and its test directory.
SCENARIOS = {
    "default": {"hosts": ["rh-mol-redis"], "tests": "tests/integration"},
    "tls": {
        "hosts": ["rh-tls-redis", "rh-tls-app", "rh-tls-outsider"],
        "tests": "tests/tls",
    },
}

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
    # The TLS controls, on the tls scenario's hosts.
    "NET-04": {
        "_scenario": "tls",
        "redis_server_tls_keep_plaintext_port": True,
        "redis_server_port": 6380,
        "redis_server_tls_port": 6379,
    },
    "TLS-01": {
        "_scenario": "tls",
        "redis_server_tls_ciphers": ["DEFAULT"],
        "redis_server_tls_prefer_server_ciphers": False,
    },
    "TLS-02": {"_scenario": "tls", "redis_server_tls_auth_clients": "optional"},
    "TLS-03": {"_scenario": "tls", "redis_server_tls_replication": False},
    # No waiver exists for these two: the weakness is a setting of its own.
    # TLS-04: a threshold so low that a certificate 5 days from its end stays.
    "TLS-04": {"_scenario": "tls", "_no_waiver": True, "redis_tls_renew_days": 1},
    # TLS-05: TLS off for every host, app included.
    "TLS-05": {"_scenario": "tls", "_no_waiver": True, "redis_tls_enabled": False},
}


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, text=True, capture_output=True, **kwargs)


def inventory_dir(scenario: str) -> Path:
    # Molecule keeps its inventories under ANSIBLE_HOME (the Makefile sets it
    # to this checkout's .ansible); never another checkout's.
    home = Path(os.environ.get("ANSIBLE_HOME", str(ROOT / ".ansible")))
    found = list((home / "tmp").glob(f"molecule.*.{scenario}/inventory"))
    if not found:
        sys.exit(f"no Molecule inventory for the {scenario} scenario under {home}")
    return Path(max(found, key=os.path.getmtime))


def converge(scenario: str, inventory: Path) -> bool:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"))
    result = run(
        ["ansible-playbook", "-i", str(inventory), f"molecule/{scenario}/converge.yml"],
        env=env,
    )
    if result.returncode != 0:
        print(f"  converge failed: {result.stdout[-600:]}", flush=True)
    return result.returncode == 0


def tests_pass(control_id: str, scenario: str, inventory: Path) -> bool:
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
            SCENARIOS[scenario]["tests"],
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
    unknown = [c for c in controls if c not in MUTATIONS]
    if unknown:
        sys.exit(f"no mutation for {', '.join(unknown)}; known: {', '.join(MUTATIONS)}")
    failures = 0
    prepared: dict[str, Path] = {}
    for control_id in controls:
        overrides = dict(MUTATIONS[control_id])
        scenario = overrides.pop("_scenario", "default")
        if scenario not in prepared:
            print(f"Preparing the {scenario} scenario (create, prepare, converge)")
            for step in ("create", "prepare", "converge"):
                run(["molecule", step, "-s", scenario], check=True)
            prepared[scenario] = inventory_dir(scenario)
        inventory = prepared[scenario]
        waived = [control_id, *overrides.pop("_also_waive", [])]
        if not overrides.pop("_no_waiver", False):
            overrides["redis_server_waivers"] = [
                {"id": waived_id, "reason": "switched off to prove its tests can fail"}
                for waived_id in waived
            ]
        with tempfile.TemporaryDirectory() as scratch:
            weakened = Path(scratch) / "inventory"
            shutil.copytree(inventory, weakened)
            (weakened / "host_vars").mkdir(exist_ok=True)
            for host in SCENARIOS[scenario]["hosts"]:
                (weakened / "host_vars" / f"{host}.yml").write_text(
                    yaml.safe_dump(overrides)
                )
            applied = converge(scenario, weakened)
            failed_when_off = not tests_pass(control_id, scenario, weakened)
        restored = converge(scenario, inventory)
        passed_when_on = tests_pass(control_id, scenario, inventory)
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
