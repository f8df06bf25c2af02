"""Render audit results as text tables for people.

`redis-hardening-report BEFORE.json [AFTER.json]` prints one audit, or two
side by side (the demo's before and after). Input is what the redis_audit
module returns; nothing in it is secret.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

SYMBOLS = {
    "pass": "PASS",
    "fail": "FAIL",
    "waived": "WAIVED",
    "error": "ERROR",
    "unknown": "UNKNOWN",
    "not evaluated": "-",
}


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [_row(headers, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(r, widths) for r in rows]
    return "\n".join(lines)


def comparison(audits: list[dict[str, Any]], labels: list[str], all_rows: bool) -> str:
    """One row per control, one status column per audit."""
    by_id = [{c["id"]: c for c in audit["controls"]} for audit in audits]
    rows = []
    for control in audits[0]["controls"]:
        statuses = [ids.get(control["id"], {}).get("status", "") for ids in by_id]
        if not all_rows and all(s == "not evaluated" for s in statuses):
            continue
        rows.append(
            [control["id"], control["title"]] + [SYMBOLS.get(s, s) for s in statuses]
        )
    return table(["ID", "Control", *labels], rows)


def details(audit: dict[str, Any]) -> str:
    """What failed and how to fix it."""
    lines = []
    for control in audit["controls"]:
        if control["status"] in ("fail", "error", "waived", "unknown"):
            lines.append(f"{control['id']}: {control['detail']}")
            if control.get("fix"):
                lines.append(f"  fix: {control['fix']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="redis-hardening-report",
        description="Print redis_audit results as a table.",
    )
    parser.add_argument(
        "reports", nargs="+", help="JSON files from playbooks/audit.yml"
    )
    parser.add_argument("--labels", help="comma-separated column names")
    parser.add_argument(
        "--all", action="store_true", help="include controls not evaluated"
    )
    parser.add_argument(
        "--details", action="store_true", help="list failures with fixes"
    )
    args = parser.parse_args(argv)
    audits = []
    for path in args.reports:
        with open(path, encoding="utf-8") as handle:
            audits.append(json.load(handle))
    labels = (
        args.labels.split(",")
        if args.labels
        else [f"#{i + 1}" for i in range(len(audits))]
    )
    if len(labels) != len(audits):
        parser.error("--labels needs one name per report")
    print(comparison(audits, labels, args.all))
    if args.details:
        text = details(audits[-1])
        if text:
            print()
            print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
