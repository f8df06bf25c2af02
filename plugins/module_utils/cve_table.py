"""PATCH-01: known Redis and Valkey CVEs, with fixed versions, as data.

Each row names one CVE for one product and where its fix landed:

* ``upstream_fixed``: the first fixed release on each upstream branch. With
  ``upstream_complete`` true, a branch missing from the list never got the
  fix (Redis 7.0 after its end of life, say); with it false the list is
  only what we could confirm, and a missing branch is reported as unknown.
  ``None`` means we do not know the upstream fix at all.
* ``debian_fixed``: the first fixed package version per Debian release.
  Debian backports fixes without changing the upstream version (bookworm
  stays at 7.0.15 while ``-1~deb12u2`` ... ``-1~deb12u10`` carry fixes), so
  on a Debian host the package version decides. ``None`` means we do not
  know that release's fixed revision: the audit then says "unknown" rather
  than pass. ``NOT_AFFECTED`` means that release never shipped the flaw.
* ``source`` says where the row comes from; ``confidence`` how sure it is:
  "confirmed" (read in the source named), "reported" (a second-hand source,
  such as a packager's pull request quoting the advisory), "unverified"
  (from memory of the advisory, not re-checked).

The table ships to hosts with the module: it is plain Python data.
"""

from __future__ import annotations

from typing import TypedDict

from .debversion import compare

NOT_AFFECTED = "not-affected"
AFFECTED, FIXED, UNKNOWN, NOT_APPLICABLE = (
    "affected",
    "fixed",
    "unknown",
    "not applicable",
)

# The Debian changelog shipped with the package itself
# (/usr/share/doc/redis-server/changelog.Debian.gz, read from
# 5:7.0.15-1~deb12u10 on a bookworm host).
DEBIAN_CHANGELOG = "Debian changelog of redis 5:7.0.15-1~deb12u10"
REDIS_RELEASE_NOTES = "Redis release notes"


class CveRow(TypedDict):
    cve: str
    product: str
    summary: str
    introduced: str | None
    upstream_fixed: tuple[str, ...] | None
    upstream_complete: bool
    debian_fixed: dict[str, str | None]
    debian_only: bool
    source: str
    confidence: str


def _row(
    cve: str,
    summary: str,
    upstream_fixed: tuple[str, ...] | None,
    debian_fixed: dict[str, str | None],
    source: str,
    confidence: str,
    product: str = "redis",
    introduced: str | None = None,
    upstream_complete: bool = True,
    debian_only: bool = False,
) -> CveRow:
    return {
        "cve": cve,
        "product": product,
        "summary": summary,
        "introduced": introduced,
        "upstream_fixed": upstream_fixed,
        "upstream_complete": upstream_complete,
        "debian_fixed": debian_fixed,
        "debian_only": debian_only,
        "source": source,
        "confidence": confidence,
    }


# Debian 12 shipped 5:7.0.11-1; the first bookworm upload of 7.0.15 carries
# every upstream fix up to 7.0.15.
BOOKWORM_7015 = "5:7.0.15-1~deb12u1"
LUA_2025 = ("6.2.20", "7.2.11", "7.4.6", "8.0.4", "8.2.2")
LUA_2025_SOURCE = (
    "Redis 6.2.20/7.2.11/7.4.6/8.0.4/8.2.2 release notes as quoted in "
    "docker-library/official-images#20011; " + DEBIAN_CHANGELOG + " (deb12u6)"
)

CVES: tuple[CveRow, ...] = (
    _row(
        "CVE-2022-0543",
        "Debian-specific Lua sandbox escape: package.loadlib reaches liblua "
        "and os.execute",
        (),
        {
            "buster": "5:5.0.14-1+deb10u2",  # unverified: DSA-5081-1
            "bullseye": "5:6.0.16-1+deb11u2",  # unverified: DSA-5081-1
            # Fixed in 5:7.0~rc2-2 before bookworm and trixie were released.
            "bookworm": NOT_AFFECTED,
            "trixie": NOT_AFFECTED,
        },
        DEBIAN_CHANGELOG + " (5:7.0~rc2-2); DSA-5081-1 for buster and bullseye",
        "confirmed for bookworm and trixie; unverified for buster and bullseye",
        debian_only=True,
    ),
    _row(
        "CVE-2022-24834",
        "Lua cjson/cmsgpack heap overflow, potential remote code execution",
        ("6.0.20", "6.2.13", "7.0.12"),
        {"bookworm": BOOKWORM_7015, "trixie": NOT_AFFECTED},
        DEBIAN_CHANGELOG + " (5:7.0.12-1)",
        "confirmed",
    ),
    _row(
        "CVE-2023-36824",
        "Heap overflow extracting key names (COMMAND GETKEYS, ACL key rules)",
        ("7.0.12",),
        {"bookworm": BOOKWORM_7015, "trixie": NOT_AFFECTED},
        DEBIAN_CHANGELOG + " (5:7.0.12-1)",
        "confirmed for Debian; upstream branches other than 7.0 unverified",
        introduced="7.0.0",
        upstream_complete=False,
    ),
    _row(
        "CVE-2023-41053",
        "SORT_RO keys not checked against ACL key patterns",
        ("7.0.13", "7.2.1"),
        {"bookworm": BOOKWORM_7015, "trixie": NOT_AFFECTED},
        DEBIAN_CHANGELOG + " (5:7.0.13-1)",
        "confirmed for Debian; upstream 7.2.1 from the release notes link",
        introduced="7.0.0",
    ),
    _row(
        "CVE-2023-45145",
        "Unix socket briefly open to everyone at start-up (listen before chmod)",
        ("6.2.14", "7.0.14", "7.2.2"),
        {"bookworm": BOOKWORM_7015, "trixie": NOT_AFFECTED},
        REDIS_RELEASE_NOTES + " 7.0.14; " + DEBIAN_CHANGELOG + " (5:7.0.14-1)",
        "confirmed for 7.0 and Debian; 6.2.14 and 7.2.2 unverified",
    ),
    _row(
        "CVE-2023-41056",
        "Buffer resize accounting error, heap overflow, potential RCE",
        ("7.0.15", "7.2.4"),
        {"bookworm": BOOKWORM_7015, "trixie": NOT_AFFECTED},
        DEBIAN_CHANGELOG + " (5:7.0.15-1); openSUSE redis.changes (7.2.4)",
        "confirmed",
        introduced="7.0.9",  # unverified: the advisory's lower bound
    ),
    _row(
        "CVE-2024-31449",
        "Lua bit library stack overflow, potential remote code execution",
        ("6.2.16", "7.2.6", "7.4.1"),
        {"bookworm": "5:7.0.15-1~deb12u2", "trixie": NOT_AFFECTED},
        "redis/redis#13582 and #13583 (7.2.6, 7.4.1); " + DEBIAN_CHANGELOG,
        "confirmed for 7.2, 7.4 and Debian; 6.2.16 unverified",
    ),
    _row(
        "CVE-2024-31227",
        "Denial of service with malformed ACL selectors",
        ("7.2.6", "7.4.1"),
        {"bookworm": "5:7.0.15-1~deb12u2", "trixie": NOT_AFFECTED},
        "redis/redis#13582 and #13583; " + DEBIAN_CHANGELOG,
        "confirmed",
        introduced="7.0.0",
    ),
    _row(
        "CVE-2024-31228",
        "Denial of service through unbounded pattern matching",
        ("6.2.16", "7.2.6", "7.4.1"),
        {"bookworm": "5:7.0.15-1~deb12u2", "trixie": NOT_AFFECTED},
        "redis/redis#13582 and #13583; " + DEBIAN_CHANGELOG,
        "confirmed for 7.2, 7.4 and Debian; 6.2.16 unverified",
    ),
    _row(
        "CVE-2024-46981",
        "Lua garbage collector manipulation, potential remote code execution",
        ("6.2.17", "7.2.7", "7.4.2"),
        {"bookworm": "5:7.0.15-1~deb12u3", "trixie": NOT_AFFECTED},
        DEBIAN_CHANGELOG + "; upstream versions from the Redis advisory",
        "confirmed for Debian; upstream versions unverified",
    ),
    _row(
        "CVE-2024-51741",
        "Denial of service with malformed ACL selectors",
        ("7.2.7", "7.4.2"),
        {"bookworm": "5:7.0.15-1~deb12u3", "trixie": NOT_AFFECTED},
        DEBIAN_CHANGELOG + "; upstream versions from the Redis advisory",
        "confirmed for Debian; upstream versions unverified",
        introduced="7.0.0",
    ),
    _row(
        "CVE-2025-21605",
        "Unauthenticated clients grow the output buffer without limit",
        ("6.2.18", "7.2.8", "7.4.3"),
        {"bookworm": "5:7.0.15-1~deb12u4", "trixie": NOT_AFFECTED},
        DEBIAN_CHANGELOG + "; Redis 7.4.3 release notes",
        "confirmed for 7.4 and Debian; 6.2.18 and 7.2.8 unverified",
    ),
    _row(
        "CVE-2025-27151",
        "Stack buffer overflow in redis-check-aof through a long file path",
        ("7.4.4", "8.0.2"),
        {"bookworm": "5:7.0.15-1~deb12u5", "trixie": None},  # trixie unknown
        DEBIAN_CHANGELOG + "; upstream versions from the Redis advisory",
        "confirmed for bookworm; upstream unverified; trixie unknown",
        upstream_complete=False,
    ),
    _row(
        "CVE-2025-32023",
        "Out-of-bounds write in HyperLogLog commands, potential RCE",
        ("6.2.19", "7.2.10", "7.4.5", "8.0.3"),
        {"bookworm": "5:7.0.15-1~deb12u5", "trixie": None},  # trixie unknown
        DEBIAN_CHANGELOG + "; upstream versions from the Redis advisory",
        "confirmed for bookworm; upstream unverified; trixie unknown",
        introduced="2.8.0",
    ),
    _row(
        "CVE-2025-48367",
        "Unauthenticated connections cause client starvation (DoS)",
        ("6.2.19", "7.2.10", "7.4.5", "8.0.3"),
        {"bookworm": "5:7.0.15-1~deb12u5", "trixie": None},  # trixie unknown
        DEBIAN_CHANGELOG + "; upstream versions from the Redis advisory",
        "confirmed for bookworm; upstream unverified; trixie unknown",
    ),
    _row(
        "CVE-2025-49844",
        "RediShell: Lua parser use-after-free, remote code execution",
        LUA_2025,
        {"bookworm": "5:7.0.15-1~deb12u6", "trixie": None},  # trixie unknown
        LUA_2025_SOURCE,
        "confirmed for upstream and bookworm; trixie unknown",
    ),
    _row(
        "CVE-2025-46817",
        "Lua unpack integer overflow, potential remote code execution",
        LUA_2025,
        {"bookworm": "5:7.0.15-1~deb12u6", "trixie": None},  # trixie unknown
        LUA_2025_SOURCE,
        "confirmed for upstream and bookworm; trixie unknown",
    ),
    _row(
        "CVE-2025-46818",
        "A Lua script runs in the context of another user",
        LUA_2025,
        {"bookworm": "5:7.0.15-1~deb12u6", "trixie": None},  # trixie unknown
        LUA_2025_SOURCE,
        "confirmed for upstream and bookworm; trixie unknown",
    ),
    _row(
        "CVE-2025-46819",
        "Lua out-of-bounds read, crash",
        LUA_2025,
        {"bookworm": "5:7.0.15-1~deb12u6", "trixie": None},  # trixie unknown
        LUA_2025_SOURCE,
        "confirmed for upstream and bookworm; trixie unknown",
    ),
    _row(
        "CVE-2025-67733",
        "RESP protocol injection through CR/LF in a Lua error reply",
        None,  # upstream fix not known
        {"bookworm": "5:7.0.15-1~deb12u7", "trixie": None},  # trixie unknown
        DEBIAN_CHANGELOG,
        "confirmed for bookworm only",
    ),
    _row(
        "CVE-2026-21863",
        "Malformed cluster bus message reads out of bounds (DoS)",
        None,  # upstream fix not known
        {"bookworm": "5:7.0.15-1~deb12u7", "trixie": None},  # trixie unknown
        DEBIAN_CHANGELOG,
        "confirmed for bookworm only",
    ),
    _row(
        "CVE-2026-23631",
        "Use-after-free on replicas during full sync and a yielding script",
        None,  # upstream fix not known
        {"bookworm": "5:7.0.15-1~deb12u8", "trixie": None},  # trixie unknown
        DEBIAN_CHANGELOG,
        "confirmed for bookworm only",
    ),
    _row(
        "CVE-2026-25243",
        "RESTORE accepts invalid serialized values, potential RCE",
        None,  # upstream fix not known
        {"bookworm": "5:7.0.15-1~deb12u8", "trixie": None},  # trixie unknown
        DEBIAN_CHANGELOG,
        "confirmed for bookworm only",
    ),
    _row(
        "CVE-2026-66373",
        "Malicious RESTORE payload causes a double free, potential RCE",
        None,  # upstream fix not known
        {"bookworm": "5:7.0.15-1~deb12u9", "trixie": None},  # trixie unknown
        DEBIAN_CHANGELOG,
        "confirmed for bookworm only",
    ),
    _row(
        "CVE-2026-81934",
        "Use-after-free handling pending TLS data, unauthenticated RCE",
        None,  # upstream fix not known
        {"bookworm": "5:7.0.15-1~deb12u10", "trixie": None},  # trixie unknown
        DEBIAN_CHANGELOG,
        "confirmed for bookworm only",
    ),
    _row(
        "CVE-2026-92925",
        "Out-of-bounds read in cluster ping extensions",
        None,  # upstream fix not known
        {"bookworm": "5:7.0.15-1~deb12u10", "trixie": None},  # trixie unknown
        DEBIAN_CHANGELOG,
        "confirmed for bookworm only",
    ),
    # Valkey: only the branches a source confirmed are listed, so older
    # branches come out "unknown" rather than guessed.
    _row(
        "CVE-2025-21605",
        "Unauthenticated clients grow the output buffer without limit",
        ("8.1.1",),
        {"trixie": None},  # unknown
        "getsolus/packages#5515 (valkey 8.1.1 includes the fix)",
        "reported",
        product="valkey",
        upstream_complete=False,
    ),
    _row(
        "CVE-2025-32023",
        "Out-of-bounds write in HyperLogLog commands, potential RCE",
        ("8.1.3",),
        {"trixie": None},  # unknown
        "valkey-io/valkey#2314 and #2317 (8.1.3 release)",
        "reported",
        product="valkey",
        upstream_complete=False,
    ),
    *(
        _row(
            cve,
            summary,
            ("8.1.4",),
            {"trixie": None},  # unknown
            "valkey 8.1.4 release (valkey-io/valkey#2687, getsolus/packages#6416)",
            "reported",
            product="valkey",
            upstream_complete=False,
        )
        for cve, summary in (
            ("CVE-2025-49844", "Lua parser use-after-free, remote code execution"),
            ("CVE-2025-46817", "Lua unpack integer overflow, potential RCE"),
            ("CVE-2025-46818", "A Lua script runs in the context of another user"),
            ("CVE-2025-46819", "Lua out-of-bounds read, crash"),
        )
    ),
    *(
        _row(
            cve,
            summary,
            ("8.1.7",),
            {"trixie": None},  # unknown
            "valkey-io/valkey#3633 (8.1.7 release notes)",
            "reported",
            product="valkey",
            upstream_complete=False,
        )
        for cve, summary in (
            ("CVE-2026-23631", "Use-after-free on full sync during a script"),
            ("CVE-2026-25243", "RESTORE accepts invalid serialized values"),
        )
    ),
)

# Debian package of each product.
PACKAGES = {"redis": "redis-server", "valkey": "valkey-server"}


class Verdict(TypedDict):
    cve: str
    status: str
    fixed: str
    reason: str


def _branch(version: str) -> str:
    return ".".join(version.split(".")[:2])


def upstream_verdict(row: CveRow, version: str) -> tuple[str, str]:
    """Status of an upstream build of `version`, and the fixed version to name."""
    fixed = row["upstream_fixed"]
    if row["debian_only"]:
        return NOT_APPLICABLE, ""
    if fixed is None:
        return UNKNOWN, "no upstream fix recorded"
    if row["introduced"] and compare(version, row["introduced"]) < 0:
        return FIXED, ""
    same = [f for f in fixed if _branch(f) == _branch(version)]
    if same:
        if compare(version, same[0]) < 0:
            return AFFECTED, same[0]
        return FIXED, same[0]
    newer = [f for f in fixed if compare(f, version) > 0]
    if not newer:
        return FIXED, ""
    if row["upstream_complete"]:
        return AFFECTED, " or ".join(newer)
    return UNKNOWN, "no fixed version recorded for the " + _branch(version) + " branch"


def assess(product: str, version: str, package: dict[str, str] | None) -> list[Verdict]:
    """Every row of the product's table, judged for one installed build.

    `package` is what the probe read: {"manager": "dpkg", "distribution":
    "debian", "release": "bookworm", "version": ...}, or {"manager": "none"}
    for a build that no package manager knows (so the upstream version
    decides), or None when nothing could be read (remote audits).
    """
    verdicts: list[Verdict] = []
    for row in CVES:
        if row["product"] != product:
            continue
        up_status, up_fixed = upstream_verdict(row, version)
        verdict: Verdict = {"cve": row["cve"], "status": "", "fixed": "", "reason": ""}
        manager = (package or {}).get("manager")
        if package is None:
            if up_status in (FIXED, NOT_APPLICABLE):
                verdict["status"] = up_status
            else:
                verdict["status"] = UNKNOWN
                verdict["reason"] = (
                    f"upstream {version} lacks the fix ({up_fixed}); the package "
                    "version, which may carry a backport, could not be read"
                    if up_status == AFFECTED
                    else up_fixed
                )
        elif manager == "dpkg" and package.get("distribution") == "debian":
            release = package.get("release", "")
            debian = row["debian_fixed"]
            wanted = debian.get(release)
            if wanted == NOT_AFFECTED:
                verdict["status"] = NOT_APPLICABLE
            elif wanted is not None:
                if compare(package["version"], wanted) < 0:
                    verdict.update(status=AFFECTED, fixed=wanted)
                else:
                    verdict.update(status=FIXED, fixed=wanted)
            elif up_status in (FIXED, NOT_APPLICABLE):
                verdict["status"] = up_status
            else:
                verdict["status"] = UNKNOWN
                verdict["reason"] = f"Debian {release or 'release'} fix not recorded"
        else:
            verdict["status"] = up_status
            verdict["fixed"] = up_fixed if up_status == AFFECTED else ""
            if up_status == UNKNOWN:
                verdict["reason"] = up_fixed
        verdicts.append(verdict)
    return verdicts
