"""PATCH-01: the CVE table, Debian version ordering and the verdicts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils import (
    cve_table,
    debversion,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.cve_table import (
    AFFECTED,
    FIXED,
    NOT_AFFECTED,
    NOT_APPLICABLE,
    UNKNOWN,
    assess,
)

# (smaller, larger) pairs in dpkg's order, including the cases that trip
# naive comparisons: epochs, tildes, revisions, letters against digits.
ORDERED = [
    ("7.0.15", "7.0.16"),
    ("7.0.9", "7.0.15"),
    ("7.0~rc2", "7.0"),
    ("7.0~rc2-2", "7.0.0-1"),
    ("1.0~~", "1.0~"),
    ("1.0~", "1.0"),
    ("1.0", "1.0a"),
    ("1.0a", "1.0+"),
    ("1.0", "1.0.1"),
    ("5:7.0.15-1~deb12u1", "5:7.0.15-1~deb12u2"),
    ("5:7.0.15-1~deb12u9", "5:7.0.15-1~deb12u10"),
    ("5:7.0.15-1~deb12u10", "5:7.0.15-1"),
    ("5:7.0.11-1+deb12u1", "5:7.0.15-1~deb12u1"),
    ("5:7.0.11-1", "5:7.0.11-1+deb12u1"),
    ("5:6.0.16-1+deb11u1", "5:6.0.16-1+deb11u2"),
    ("7.2.4", "1:0.1"),
    ("2:1.0", "10:0.1"),
    ("1.0-1", "1.0-1.1"),
    ("1.0-1", "1.0-2"),
    ("8.0.2-3", "8.0.2-3+deb13u1"),
    ("0.9", "1"),
    ("1.01", "1.2"),
]
EQUAL = [("1.0", "1.00"), ("0:1.0", "1.0"), ("7.0.15-1", "7.0.15-01")]


@pytest.mark.parametrize(("small", "large"), ORDERED)
def test_fallback_orders_like_dpkg(small, large):
    assert debversion.fallback_compare(small, large) < 0
    assert debversion.fallback_compare(large, small) > 0


@pytest.mark.parametrize(("left", "right"), EQUAL)
def test_fallback_treats_equal_versions_as_equal(left, right):
    assert debversion.fallback_compare(left, right) == 0


@pytest.mark.parametrize("bad", ["", "a1.0", "x:1.0", "1.0-r!", "1.0 2"])
def test_invalid_versions_are_refused(bad):
    with pytest.raises(debversion.VersionError):
        debversion.compare(bad, "1.0")


def _table_versions() -> list[str]:
    found = set()
    for row in cve_table.CVES:
        found.update(row["upstream_fixed"] or ())
        found.update(v for v in row["debian_fixed"].values() if v and v != NOT_AFFECTED)
    return sorted(found)


def test_fallback_agrees_with_apt_pkg():
    """Every pair above and every version in the table, against python-apt.

    The system Python of a Debian host has apt_pkg (python3-apt); the
    project's virtual environment does not, so ask the system one.
    """
    python = shutil.which("python3", path="/usr/bin")
    probe = subprocess.run(
        [python or "/usr/bin/python3", "-c", "import apt_pkg"], check=False
    )
    if probe.returncode != 0:
        pytest.skip("python3-apt is not installed on this machine")
    versions = sorted(
        {v for pair in ORDERED + EQUAL for v in pair} | set(_table_versions())
    )
    pairs = [(a, b) for a in versions for b in versions]
    script = (
        "import apt_pkg, json, sys\n"
        "apt_pkg.init_system()\n"
        "pairs = json.load(sys.stdin)\n"
        "print(json.dumps([apt_pkg.version_compare(a, b) for a, b in pairs]))\n"
    )
    result = subprocess.run(
        ["/usr/bin/python3", "-c", script],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        check=True,
    )
    expected = [(r > 0) - (r < 0) for r in json.loads(result.stdout)]
    ours = [
        (r > 0) - (r < 0) for r in (debversion.fallback_compare(a, b) for a, b in pairs)
    ]
    mismatches = [p for p, e, o in zip(pairs, expected, ours) if e != o]
    assert not mismatches


def test_every_row_is_well_formed():
    seen = set()
    for row in cve_table.CVES:
        assert re.fullmatch(r"CVE-\d{4}-\d{4,}", row["cve"]), row["cve"]
        assert row["product"] in cve_table.PACKAGES
        key = (row["cve"], row["product"])
        assert key not in seen, key
        seen.add(key)
        assert row["source"] and row["confidence"], key
        for version in row["upstream_fixed"] or ():
            debversion.split(version)
        for release, version in row["debian_fixed"].items():
            assert release in {"buster", "bullseye", "bookworm", "trixie"}
            if version not in (None, NOT_AFFECTED):
                debversion.split(version)
                assert version.startswith("5:"), (key, release)


BOOKWORM = {
    "manager": "dpkg",
    "name": "redis-server",
    "distribution": "debian",
    "release": "bookworm",
}


def _verdicts(product, version, package):
    return {v["cve"]: v for v in assess(product, version, package)}


@pytest.mark.parametrize(
    ("revision", "cve", "status"),
    [
        ("5:7.0.11-1", "CVE-2023-45145", AFFECTED),
        ("5:7.0.15-1~deb12u1", "CVE-2023-45145", FIXED),
        ("5:7.0.15-1~deb12u1", "CVE-2024-31449", AFFECTED),
        ("5:7.0.15-1~deb12u2", "CVE-2024-31449", FIXED),
        ("5:7.0.15-1~deb12u5", "CVE-2025-49844", AFFECTED),
        ("5:7.0.15-1~deb12u6", "CVE-2025-49844", FIXED),
        ("5:7.0.15-1~deb12u10", "CVE-2026-92925", FIXED),
        ("5:7.0.15-1~deb12u9", "CVE-2026-92925", AFFECTED),
        ("5:7.0.11-1", "CVE-2022-0543", NOT_APPLICABLE),
    ],
)
def test_debian_revision_decides_on_bookworm(revision, cve, status):
    # The upstream version never changes (7.0.15 or 7.0.11); only the
    # package revision tells a backported fix.
    upstream = revision.split(":")[1].split("-")[0]
    verdict = _verdicts("redis", upstream, {**BOOKWORM, "version": revision})[cve]
    assert verdict["status"] == status
    if status == AFFECTED:
        assert verdict["fixed"].startswith("5:7.0.15-1~deb12u")


def test_latest_bookworm_package_is_clean():
    verdicts = assess("redis", "7.0.15", {**BOOKWORM, "version": "5:7.0.15-1~deb12u10"})
    assert {v["status"] for v in verdicts} <= {FIXED, NOT_APPLICABLE}


def test_debian_lua_escape_on_bullseye():
    bullseye = {**BOOKWORM, "release": "bullseye"}
    old = _verdicts("redis", "6.0.16", {**bullseye, "version": "5:6.0.16-1+deb11u1"})
    new = _verdicts("redis", "6.0.16", {**bullseye, "version": "5:6.0.16-1+deb11u2"})
    assert old["CVE-2022-0543"]["status"] == AFFECTED
    assert new["CVE-2022-0543"]["status"] == FIXED


def test_debian_lua_escape_does_not_concern_upstream_builds():
    built = _verdicts("redis", "6.0.16", {"manager": "none"})
    assert built["CVE-2022-0543"]["status"] == NOT_APPLICABLE


@pytest.mark.parametrize(
    ("version", "cve", "status", "fixed"),
    [
        ("7.2.10", "CVE-2025-49844", AFFECTED, "7.2.11"),
        ("7.2.11", "CVE-2025-49844", FIXED, "7.2.11"),
        ("8.2.2", "CVE-2025-49844", FIXED, "8.2.2"),
        ("8.4.0", "CVE-2025-49844", FIXED, ""),
        # 7.0 reached its end of life: no upstream fix on that branch.
        ("7.0.15", "CVE-2025-49844", AFFECTED, "7.2.11 or 7.4.6 or 8.0.4 or 8.2.2"),
        ("6.2.6", "CVE-2024-31227", FIXED, ""),  # introduced in 7.0
        ("7.0.15", "CVE-2026-81934", UNKNOWN, ""),  # no upstream fix recorded
    ],
)
def test_upstream_builds_follow_the_branch_fix(version, cve, status, fixed):
    verdict = _verdicts("redis", version, {"manager": "none"})[cve]
    assert verdict["status"] == status
    assert verdict["fixed"] == (fixed if status == AFFECTED else "")


def test_unknown_debian_revision_is_unknown_not_fixed():
    trixie = {**BOOKWORM, "release": "trixie", "version": "5:8.0.2-3"}
    verdict = _verdicts("redis", "8.0.2", trixie)["CVE-2025-49844"]
    assert verdict["status"] == UNKNOWN
    assert "trixie" in verdict["reason"]


def test_remote_audit_without_package_says_unknown_for_backportable_cves():
    verdict = _verdicts("redis", "7.0.15", None)["CVE-2025-49844"]
    assert verdict["status"] == UNKNOWN
    assert "could not be read" in verdict["reason"]
    assert _verdicts("redis", "8.2.2", None)["CVE-2025-49844"]["status"] == FIXED


def test_valkey_branches_without_a_confirmed_fix_are_unknown():
    assert (
        _verdicts("valkey", "8.1.3", {"manager": "none"})["CVE-2025-49844"]["status"]
        == AFFECTED
    )
    assert (
        _verdicts("valkey", "8.1.4", {"manager": "none"})["CVE-2025-49844"]["status"]
        == FIXED
    )
    assert (
        _verdicts("valkey", "7.2.5", {"manager": "none"})["CVE-2025-49844"]["status"]
        == UNKNOWN
    )
