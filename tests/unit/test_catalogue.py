"""The control catalogue: IDs unique, as in the shared catalogue, in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.catalogue import (
    CONTROL_IDS,
    CONTROLS,
    SEVERITIES,
    control,
)

ROOT = Path(__file__).resolve().parents[2]
SHARED_CATALOGUE = ROOT.parent / "shared" / "CONTROLS.md"


def test_ids_are_unique_and_well_formed():
    assert len(set(CONTROL_IDS)) == len(CONTROL_IDS)
    assert all(re.fullmatch(r"[A-Z]+-\d\d", cid) for cid in CONTROL_IDS)


def test_every_control_has_a_known_severity_and_a_check():
    for entry in CONTROLS:
        assert entry["severity"] in SEVERITIES
        assert entry["title"] and entry["check"] and entry["threat"]


def test_lookup_by_id():
    assert control("OPS-01")["title"].startswith("maxmemory-policy")
    with pytest.raises(KeyError):
        control("NOPE-99")


def test_catalogue_matches_the_shared_control_list():
    if not SHARED_CATALOGUE.exists():
        pytest.skip("shared/CONTROLS.md is not beside this checkout")
    shared = set(re.findall(r"^- ([A-Z]+-\d\d) ", SHARED_CATALOGUE.read_text(), re.M))
    assert shared == set(CONTROL_IDS)


def test_readme_names_every_control():
    readme = (ROOT / "README.md").read_text()
    missing = [
        cid
        for cid in CONTROL_IDS
        if cid not in readme and cid.split("-")[0] + "-*" not in readme
    ]
    assert not missing, missing
