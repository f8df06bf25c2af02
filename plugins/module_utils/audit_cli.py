"""``redis-hardening-audit``: the control audit as a console command.

Usage::

    REDIS_PASSWORD=... redis-hardening-audit redis://admin@10.0.0.5:6379/0 \\
        --format junit --output audit.xml --fail-on high

It runs the same rules as the ``redis_audit`` module (audit.py) over the
same probe (audit_probe.py). Over the Redis protocol it reads the live
configuration, ACL users and the version; on the host itself (a ``unix://``
URL or a loopback address, or ``--local``) it also reads redis.conf, the
aclfile, the data directory, the systemd unit and the package version.
Controls that need the host report "not evaluated" when run remotely.

The URL comes from the argument, else ``REDIS_URL``, else
``redis://127.0.0.1:6379/0``. The password is the URL's or, when the URL
has none, ``REDIS_PASSWORD``; it is never printed.

Exit codes: 0 no control at or above ``--fail-on`` failed; 1 one did; 2 the
command line was wrong; 3 Redis could not be read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit
from xml.etree import ElementTree as ET

from .audit import (
    ERROR,
    FAIL,
    PASS,
    Finding,
    evaluate,
    failing_at_or_above,
    summary,
)
from .audit_probe import ProbeError, gather_live, gather_local
from .catalogue import SEVERITIES, control
from .report import comparison, details

EXIT_CLEAN, EXIT_FAILED, EXIT_USAGE, EXIT_REDIS = 0, 1, 2, 3
DEFAULT_URL = "redis://127.0.0.1:6379/0"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class UsageError(Exception):
    """A command line that cannot work; the message says why."""


def describe_target(url: str) -> str:
    """``scheme://host:port/db`` of a Redis URL, without user or password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    return (
        f"{parts.scheme}://{parts.hostname or '127.0.0.1'}:{parts.port or 6379}"
        f"/{parts.path.lstrip('/') or '0'}"
    )


def without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}" + (f"?{parts.query}" if parts.query else "")
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "unix" or (parts.hostname or "127.0.0.1") in LOOPBACK


def client_factory(url: str, password: str | None, tls: dict[str, Any]) -> Any:
    """open_client(with_credentials) for audit_probe.gather_live."""
    import redis

    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise UsageError(
            f"the URL scheme {parts.scheme!r} is not redis, rediss or unix"
        )
    kwargs: dict[str, Any] = {"socket_timeout": 10, "decode_responses": True}
    if parts.scheme != "unix":
        # redis-py 4.3's unix socket connection does not take this argument.
        kwargs["socket_connect_timeout"] = 5
    if parts.scheme == "rediss":
        kwargs["ssl_cert_reqs"] = "none" if tls.get("insecure") else "required"
        for option, name in (
            ("ca_file", "ssl_ca_certs"),
            ("cert_file", "ssl_certfile"),
            ("key_file", "ssl_keyfile"),
        ):
            if tls.get(option):
                kwargs[name] = tls[option]
    elif any(tls.values()):
        raise UsageError("TLS options need a rediss:// URL")
    bare = without_credentials(url)

    def open_client(with_credentials: bool) -> Any:
        if not with_credentials:
            return redis.Redis.from_url(bare, **kwargs)
        return redis.Redis.from_url(
            bare,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else password,
            **kwargs,
        )

    return open_client


def to_junit(findings: list[Finding], target: str) -> str:
    """One testcase per control; failures carry the detail and the fix."""
    suite = ET.Element(
        "testsuite",
        name="redis-hardening-audit",
        hostname=target,
        tests=str(len(findings)),
        failures=str(sum(f.status == FAIL for f in findings)),
        errors=str(sum(f.status == ERROR for f in findings)),
        skipped=str(sum(f.status not in (PASS, FAIL, ERROR) for f in findings)),
    )
    for finding in findings:
        family = finding.id.split("-")[0]
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"redis_hardening.{family}",
            name=f"{finding.id} {finding.title}",
        )
        threat = control(finding.id)["threat"]
        if finding.status == FAIL:
            failure = ET.SubElement(
                case, "failure", message=finding.detail, type=finding.severity
            )
            failure.text = (
                f"{finding.detail}\nfix: {finding.fix}\n"
                f"severity: {finding.severity}; threat model: {threat}"
            )
        elif finding.status == ERROR:
            ET.SubElement(case, "error", message=finding.detail, type="error")
        elif finding.status != PASS:
            ET.SubElement(
                case, "skipped", message=f"{finding.status}: {finding.detail}"
            )
        else:
            ET.SubElement(case, "system-out").text = finding.detail
    root = ET.Element("testsuites", name="redis-hardening-audit")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def to_json(findings: list[Finding], snapshot: dict[str, Any], target: str) -> str:
    report = {
        "target": target,
        "local": snapshot["local"],
        "redis_version": snapshot["redis_version"],
        "server": snapshot["server"],
        "package": snapshot.get("package"),
        "controls": [f.as_dict() for f in findings],
        "summary": summary(findings),
    }
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def to_table(findings: list[Finding], target: str, show_all: bool) -> str:
    audit = {"controls": [f.as_dict() for f in findings]}
    text = comparison([audit], [target], show_all)
    more = details(audit)
    return text + ("\n\n" + more if more else "") + "\n"


def _waiver(text: str) -> tuple[str, str]:
    control_id, sep, reason = text.partition("=")
    if not sep or not reason.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not ID=REASON")
    try:
        control(control_id)
    except KeyError:
        raise argparse.ArgumentTypeError(f"{control_id} is no control ID") from None
    return control_id, reason.strip()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="redis-hardening-audit",
        description="Audit a Redis server against the redis-hardening controls.",
        epilog="Exit codes: 0 clean at the --fail-on level, 1 a control failed, "
        "2 usage error, 3 Redis could not be read. Password: in the URL or "
        "REDIS_PASSWORD.",
    )
    parser.add_argument("url", nargs="?", help="redis://, rediss:// or unix:// URL")
    parser.add_argument("--format", choices=("table", "json", "junit"), default="table")
    parser.add_argument("--output", "-o", help="write the report here, not stdout")
    parser.add_argument(
        "--fail-on",
        choices=(*SEVERITIES, "none"),
        default="high",
        help="exit 1 when a control of at least this severity fails (default high)",
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--local",
        dest="local",
        action="store_true",
        default=None,
        help="also read files, the unit and the package (default for loopback)",
    )
    scope.add_argument(
        "--remote",
        dest="local",
        action="store_false",
        help="read the server over the protocol only",
    )
    parser.add_argument("--config-file", help="redis.conf (default: from INFO)")
    parser.add_argument("--service", default="redis-server", help="systemd unit")
    parser.add_argument(
        "--admin-user",
        action="append",
        help="user allowed admin commands (CMD-01); repeatable, default admin",
    )
    parser.add_argument(
        "--waive",
        action="append",
        type=_waiver,
        default=[],
        metavar="ID=REASON",
        help="report a control as waived, with the reason",
    )
    parser.add_argument("--all", action="store_true", help="table: every control")
    parser.add_argument("--tls-ca-file")
    parser.add_argument("--tls-cert-file")
    parser.add_argument("--tls-key-file")
    parser.add_argument(
        "--tls-insecure", action="store_true", help="do not verify the certificate"
    )
    return parser


def run(args: argparse.Namespace) -> tuple[int, str]:
    url = args.url or os.environ.get("REDIS_URL") or DEFAULT_URL
    target = describe_target(url)
    local = is_local(url) if args.local is None else args.local
    tls = {
        "ca_file": args.tls_ca_file,
        "cert_file": args.tls_cert_file,
        "key_file": args.tls_key_file,
        "insecure": args.tls_insecure,
    }
    open_client = client_factory(url, os.environ.get("REDIS_PASSWORD"), tls)
    parts = urlsplit(url)
    has_password = bool(parts.password or os.environ.get("REDIS_PASSWORD"))
    user = unquote(parts.username) if parts.username else None
    snapshot = gather_live(open_client, has_password, user)
    if local:
        snapshot = gather_local(snapshot, args.config_file, args.service)
    snapshot["admin_users"] = args.admin_user or ["admin"]
    findings = evaluate(snapshot, dict(args.waive))
    if args.format == "junit":
        text = to_junit(findings, target)
    elif args.format == "json":
        text = to_json(findings, snapshot, target)
    else:
        text = to_table(findings, target, args.all)
    failed = (
        failing_at_or_above(findings, args.fail_on) if args.fail_on != "none" else []
    )
    return (EXIT_FAILED if failed else EXIT_CLEAN), text


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code, text = run(args)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"redis-hardening-audit: error: {exc}.", file=sys.stderr)
        return EXIT_USAGE
    except ProbeError as exc:
        url = args.url or os.environ.get("REDIS_URL") or DEFAULT_URL
        print(
            f"Could not audit Redis at {describe_target(url)}: {exc}.",
            file=sys.stderr,
        )
        return EXIT_REDIS
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
