#!/usr/bin/env python3
"""Writes each role's variable table into README.md from its argument specs.

meta/argument_specs.yml is the single source of truth; the README holds a
generated copy between markers. `--check` exits 1 when the copy is stale
(the unit tests run it), otherwise the README is rewritten in place.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def cell(text: str) -> str:
    text = re.sub(r"[CVO]\(([^)]*)\)", r"`\1`", text)
    return text.replace("|", "\\|").replace("\n", " ")


def table(role: str) -> str:
    specs = yaml.safe_load(
        (ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text()
    )
    options = specs["argument_specs"]["main"]["options"]
    rows = ["| Variable | Default | Description |", "| --- | --- | --- |"]
    for name, spec in options.items():
        if spec.get("required"):
            default = "required"
        else:
            default = f"`{json.dumps(spec.get('default'))}`"
        description = spec.get("description", "")
        if isinstance(description, list):
            description = " ".join(description)
        if spec.get("choices"):
            description += (
                " One of " + ", ".join(f"`{c}`" for c in spec["choices"]) + "."
            )
        rows.append(f"| `{name}` | {default} | {cell(description)} |")
    return "\n".join(rows)


def render(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        role = match.group(1)
        begin, end = (
            f"<!-- BEGIN {role} variables -->",
            f"<!-- END {role} variables -->",
        )
        return f"{begin}\n{table(role)}\n{end}"

    return re.sub(
        r"<!-- BEGIN (\w+) variables -->.*?<!-- END \1 variables -->",
        replace,
        text,
        flags=re.S,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report drift")
    args = parser.parse_args()
    current = README.read_text()
    wanted = render(current)
    if args.check:
        if current != wanted:
            print(
                "README.md variable tables differ from the argument specs; "
                "run scripts/role-docs.py"
            )
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
