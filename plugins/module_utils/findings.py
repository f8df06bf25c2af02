"""Finding records, keyed fingerprints and report renderers (DATA-01, DATA-03).

A :class:`Finding` says where a sensitive value sits (data type, Redis key,
job class, job ID, argument path) and carries a keyed fingerprint instead of
the value: ``HMAC-SHA256(fingerprint key, normalised value)`` cut to 16 hex
digits. The same value gives the same fingerprint within one run (or across
runs that share a fingerprint key), so repeats group without the value being
shown. Without the key a fingerprint cannot be tested against guesses; with
it, low-entropy values (an SSN, a short password) can be, so the key is a
secret of the same rank as the data.

Labels that come from the data itself (job class, job ID, dict keys in a path)
are passed through :func:`safe_label`, which keeps a conservative character
set and caps the length; the scanner additionally replaces any label in which
a detector fires.

Renderers: a plain-text table, JSON, and SARIF 2.1.0 (one rule per detector;
the Redis key and argument path go into a logical location, since there is no
file to point at).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

TOOL_NAME = "redis-job-scan"
TOOL_URI = "https://galaxy.ansible.com/ui/repo/published/jobqueue/redis_hardening/"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

_UNSAFE_LABEL_RE = re.compile(r"[^A-Za-z0-9_.:/@\-\[\]#$<>]")
_LABEL_MAX = 120


@dataclass(frozen=True, slots=True)
class Finding:
    """One reportable fact; never holds a sensitive value."""

    control: str  # DATA-01 (sensitive value) or DATA-03 (retention)
    detector: str  # detector or retention rule id
    title: str
    key: str
    source: str  # sidekiq-queue, sidekiq-retry, rq-job, celery-queue, ...
    job_class: str = ""
    jid: str = ""
    path: str = ""
    fingerprint: str = ""
    message: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(slots=True)
class Report:
    """Everything a run produced; the findings list is capped by the caller."""

    findings: list[Finding] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.findings],
        }


class Fingerprinter:
    """Keyed fingerprints: HMAC-SHA256 over the normalised value."""

    def __init__(self, key: bytes | None = None) -> None:
        # A random key groups repeats within this run only; pass a stable key
        # to compare runs or to use fingerprint allow-lists.
        self._key = key if key else secrets.token_bytes(32)

    def __call__(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8", "surrogatepass"), "sha256")
        return "fp:" + digest.hexdigest()[:16]


def fingerprint_key_from_text(text: str) -> bytes:
    """Derive a 32-byte fingerprint key from an operator-supplied string."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def safe_label(text: str, limit: int = _LABEL_MAX) -> str:
    """Return a printable, bounded version of a data-derived label."""
    cleaned = _UNSAFE_LABEL_RE.sub("?", text)
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 3] + "..."
    return cleaned


# -- renderers ------------------------------------------------------------------


def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n"


def render_table(report: Report) -> str:
    columns = ("control", "detector", "key", "job_class", "jid", "path", "fingerprint")
    rows = [[getattr(f, c) or "-" for c in columns] for f in report.findings]
    widths = [len(c) for c in columns]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = []
    if rows:
        lines.append(
            "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))
        )
        for row in rows:
            lines.append(
                "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
            )
    else:
        lines.append("No findings.")
    lines.append("")
    lines.extend(_summary_lines(report.summary))
    return "\n".join(lines) + "\n"


def _summary_lines(summary: Mapping[str, Any]) -> list[str]:
    lines = []
    for name in ("jobs_scanned", "keys_scanned", "findings_total"):
        if name in summary:
            lines.append(f"{name.replace('_', ' ')}: {summary[name]}")
    if summary.get("findings_truncated"):
        lines.append("findings list truncated: raise the findings cap to see all")
    for title, name in (
        ("findings by detector", "by_detector"),
        ("encrypted arguments by key version", "by_key_version"),
        ("jobs by source", "by_source"),
        ("content not inspected", "uninspected"),
    ):
        counts = summary.get(name) or {}
        if counts:
            parts = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
            lines.append(f"{title}: {parts}")
    for set_name, figures in sorted((summary.get("retention") or {}).items()):
        age = figures.get("oldest_age_seconds")
        age_text = "n/a" if age is None else f"{age:.0f}s"
        lines.append(
            f"retention {set_name}: size {figures.get('size')} "
            f"(max {figures.get('max_size')}), oldest {age_text} "
            f"(max {figures.get('max_age_seconds')}s)"
        )
    return lines


def render_sarif(report: Report, rules: Mapping[str, str]) -> str:
    """Render SARIF 2.1.0; ``rules`` maps rule id to a short description."""
    used = sorted({f.detector for f in report.findings} | set(rules))
    rule_index = {rule: n for n, rule in enumerate(used)}
    results = []
    for finding in report.findings:
        location = {
            "logicalLocations": [
                {
                    "name": finding.path or finding.key,
                    "fullyQualifiedName": f"{finding.key}#{finding.path}",
                    "kind": "member" if finding.path else "resource",
                }
            ]
        }
        result: dict[str, Any] = {
            "ruleId": finding.detector,
            "ruleIndex": rule_index[finding.detector],
            "level": "error" if finding.control == "DATA-01" else "warning",
            "message": {"text": finding.message or _default_message(finding)},
            "locations": [location],
            "properties": {
                "control": finding.control,
                "source": finding.source,
                "redisKey": finding.key,
                "jobClass": finding.job_class,
                "jid": finding.jid,
                "argumentPath": finding.path,
            },
        }
        if finding.fingerprint:
            result["partialFingerprints"] = {"valueHmac/v1": finding.fingerprint}
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "informationUri": TOOL_URI,
                        "rules": [
                            {
                                "id": rule,
                                "shortDescription": {"text": rules.get(rule, rule)},
                            }
                            for rule in used
                        ],
                    }
                },
                "results": results,
                "properties": {"summary": report.summary},
            }
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _default_message(finding: Finding) -> str:
    where = f"{finding.key} {finding.path}".strip()
    who = " ".join(p for p in (finding.job_class, finding.jid) if p)
    return f"{finding.title} in {where}" + (f" ({who})" if who else "")


def count_by(items: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts
