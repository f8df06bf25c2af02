"""``redis-job-scan``: the job scanner as a console command (DATA-01, DATA-03).

Usage::

    REDIS_PASSWORD=... redis-job-scan rediss://jobscan@redis.example:6380/0 \\
        --tls-ca-file /etc/ssl/redis-ca.pem --format sarif --output scan.sarif

The Redis URL (``redis://``, ``rediss://`` for TLS or ``unix://``) comes from
the argument, else ``REDIS_URL``, else ``redis://127.0.0.1:6379/0``. The
password is taken from the URL or, when the URL has none, from
``REDIS_PASSWORD``; it is never printed: messages name the server as
``scheme://host:port/db`` only. ``JOB_SCAN_FINGERPRINT_KEY`` sets a stable
fingerprint key (otherwise each run uses a random one, and fingerprints only
group repeats within that run).

Reports go to standard output (or ``--output``); a progress bar is drawn on
standard error only when it is a terminal.

Exit codes:

* 0 - the scan finished and found nothing at the ``--fail-on`` level;
* 1 - the scan finished and reported findings at that level
  (``any``: DATA-01 or DATA-03, ``data``: DATA-01 only, ``retention``:
  DATA-03 only, ``none``: never);
* 2 - the command line was wrong;
* 3 - Redis could not be reached, refused the credentials or the ACL denied
  a command the scan needs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import unquote, urlsplit

from .detectors import DETECTORS, AllowList, DetectorSet
from .findings import (
    Fingerprinter,
    Report,
    fingerprint_key_from_text,
    render_json,
    render_sarif,
    render_table,
)
from .job_scan import REQUIRED_COMMANDS, JobScanner, ScanOptions, Thresholds

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_REDIS = 3
DEFAULT_URL = "redis://127.0.0.1:6379/0"


class ScanError(Exception):
    """A failure to explain to the user in one sentence."""


def describe_target(url: str) -> str:
    """``scheme://host:port/db`` of a Redis URL, without user or password."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 6379
    db = parts.path.lstrip("/") or "0"
    return f"{parts.scheme}://{host}:{port}/{db}"


def describe_redis_error(exc: BaseException, target: str, user: str | None) -> str:
    """One sentence naming what failed; never includes credentials."""
    import redis.exceptions as rexc

    who = user or "default"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    no_permission = getattr(rexc, "NoPermissionError", ())
    if isinstance(exc, rexc.AuthenticationError) or "WRONGPASS" in text:
        return (
            f"Redis at {target} rejected the credentials of user {who}: the "
            "user name or password is wrong or the user is disabled."
        )
    if "NOAUTH" in text:
        return f"Redis at {target} requires authentication and no password was given."
    if (no_permission and isinstance(exc, no_permission)) or "NOPERM" in text:
        return (
            f"The ACL of Redis user {who} at {target} denies a command the scan "
            f"needs ({text}); grant {' '.join(REQUIRED_COMMANDS)}."
        )
    if isinstance(exc, rexc.ConnectionError | rexc.TimeoutError):
        return f"Could not connect to Redis at {target}: {text.rstrip('.')}."
    return f"Redis at {target} answered the scan with an error: {text.rstrip('.')}."


def connect(
    url: str,
    password: str | None = None,
    tls_ca_file: str | None = None,
    tls_cert_file: str | None = None,
    tls_key_file: str | None = None,
    tls_insecure: bool = False,
    timeout: float = 10.0,
) -> Any:
    """A redis-py client for the URL; TLS options apply to rediss:// only."""
    import redis

    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ScanError(
            f"The URL scheme {parts.scheme!r} is not redis, rediss or unix."
        )
    kwargs: dict[str, Any] = {"socket_timeout": timeout}
    if parts.scheme != "unix":
        # redis-py 4.3's unix socket connection does not take this argument.
        kwargs["socket_connect_timeout"] = timeout
    if password and not parts.password:
        kwargs["password"] = password
    tls_options = tls_ca_file or tls_cert_file or tls_key_file or tls_insecure
    if parts.scheme == "rediss":
        kwargs["ssl_cert_reqs"] = "none" if tls_insecure else "required"
        if tls_ca_file:
            kwargs["ssl_ca_certs"] = tls_ca_file
        if tls_cert_file:
            kwargs["ssl_certfile"] = tls_cert_file
        if tls_key_file:
            kwargs["ssl_keyfile"] = tls_key_file
    elif tls_options:
        raise ScanError("TLS options need a rediss:// URL.")
    return redis.Redis.from_url(url, **kwargs)


class ProgressBar:
    """A one-line progress bar, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self.last = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        share = done / total if total else 1.0
        filled = int(self.width * min(share, 1.0))
        rate = done / max(now - self.started, 1e-6)
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(
            f"\r[{bar}] {share:4.0%} {done}/{total} jobs {rate:,.0f} jobs/s"
        )
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="redis-job-scan",
        description=(
            "Scan Sidekiq, RQ and Celery job data in Redis for sensitive values "
            "(reported redacted) and check retry/dead set retention."
        ),
        epilog=(
            "Exit codes: 0 nothing found at the --fail-on level, 1 findings, "
            "2 usage error, 3 Redis unreachable, credentials refused or command "
            "denied. Password: in the URL or REDIS_PASSWORD."
        ),
    )
    parser.add_argument("url", nargs="?", help="redis://, rediss:// or unix:// URL")
    parser.add_argument("--format", choices=("table", "json", "sarif"), default="table")
    parser.add_argument("--output", "-o", help="write the report here, not stdout")
    parser.add_argument(
        "--fail-on",
        choices=("any", "data", "retention", "none"),
        default="any",
        help="which findings make the exit code 1 (default: any)",
    )
    limits = Thresholds()
    parser.add_argument("--retry-max-size", type=int, default=limits.retry_max_size)
    parser.add_argument(
        "--retry-max-age", type=int, default=limits.retry_max_age, help="seconds"
    )
    parser.add_argument("--dead-max-size", type=int, default=limits.dead_max_size)
    parser.add_argument(
        "--dead-max-age", type=int, default=limits.dead_max_age, help="seconds"
    )
    parser.add_argument(
        "--enable", action="append", metavar="DETECTOR", help="only these detectors"
    )
    parser.add_argument("--disable", action="append", default=[], metavar="DETECTOR")
    parser.add_argument(
        "--allow-fingerprint", action="append", default=[], metavar="FP",
        help="accept a value by its fingerprint (needs JOB_SCAN_FINGERPRINT_KEY)",
    )  # fmt: skip
    parser.add_argument(
        "--allow-path", action="append", default=[], metavar="REGEX",
        help="accept findings whose '<key>#<path>' matches",
    )  # fmt: skip
    parser.add_argument(
        "--families", default="sidekiq,rq,celery", help="comma-separated job families"
    )
    parser.add_argument("--sidekiq-namespace", default="")
    parser.add_argument(
        "--celery-queue", action="append", default=[], metavar="NAME",
        help="extra Celery queue (celery and bound queues are always read)",
    )  # fmt: skip
    options = ScanOptions()
    parser.add_argument("--page-size", type=_positive, default=options.page_size)
    parser.add_argument("--scan-count", type=_positive, default=options.scan_count)
    parser.add_argument("--max-findings", type=_positive, default=options.max_findings)
    parser.add_argument("--max-jobs", type=_positive, default=None)
    parser.add_argument("--tls-ca-file")
    parser.add_argument("--tls-cert-file")
    parser.add_argument("--tls-key-file")
    parser.add_argument(
        "--tls-insecure", action="store_true", help="do not verify the certificate"
    )
    parser.add_argument(
        "--progress", choices=("auto", "always", "never"), default="auto"
    )
    parser.add_argument(
        "--fingerprint-stdin",
        action="store_true",
        help="print the fingerprint of the value on stdin (for allow-lists) and exit",
    )
    parser.add_argument(
        "--list-detectors", action="store_true", help="list detector ids and exit"
    )
    return parser


def _exit_code(report: Report, fail_on: str) -> int:
    controls = {
        "any": {"DATA-01", "DATA-03"},
        "data": {"DATA-01"},
        "retention": {"DATA-03"},
        "none": set(),
    }[fail_on]
    by_detector = report.summary.get("by_detector", {})
    data = sum(n for d, n in by_detector.items() if d in DETECTORS)
    retention = sum(n for d, n in by_detector.items() if d not in DETECTORS)
    hit = ("DATA-01" in controls and data) or ("DATA-03" in controls and retention)
    return EXIT_FINDINGS if hit else EXIT_CLEAN


def main(
    argv: Sequence[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    key_text = os.environ.get("JOB_SCAN_FINGERPRINT_KEY")
    fingerprinter = Fingerprinter(
        fingerprint_key_from_text(key_text) if key_text else None
    )
    if args.list_detectors:
        for info in DETECTORS.values():
            stdout.write(f"{info.id}\t{info.title}\n")
        return EXIT_CLEAN
    if args.fingerprint_stdin:
        if not key_text:
            stderr.write(
                "redis-job-scan: set JOB_SCAN_FINGERPRINT_KEY so the fingerprint "
                "matches later scans.\n"
            )
            return EXIT_USAGE
        stdout.write(fingerprinter(stdin.read().rstrip("\r\n")) + "\n")
        return EXIT_CLEAN
    try:
        detectors = DetectorSet(args.enable, args.disable)
        allow = AllowList.build(args.allow_fingerprint, args.allow_path)
        families = frozenset(f.strip() for f in args.families.split(",") if f.strip())
        options = ScanOptions(
            page_size=args.page_size,
            scan_count=args.scan_count,
            max_jobs=args.max_jobs,
            max_findings=args.max_findings,
            sidekiq_namespace=args.sidekiq_namespace,
            celery_queues=("celery", *args.celery_queue),
            families=families,
        )
    except ValueError as exc:
        stderr.write(f"redis-job-scan: {exc}\n")
        return EXIT_USAGE
    thresholds = Thresholds(
        args.retry_max_size, args.retry_max_age, args.dead_max_size, args.dead_max_age
    )
    url = args.url or os.environ.get("REDIS_URL") or DEFAULT_URL
    target = describe_target(url)
    user = unquote(urlsplit(url).username or "") or None
    show_progress = args.progress == "always" or (
        args.progress == "auto" and stderr.isatty()
    )
    bar = ProgressBar(stderr) if show_progress else None
    try:
        client = connect(
            url,
            os.environ.get("REDIS_PASSWORD"),
            args.tls_ca_file,
            args.tls_cert_file,
            args.tls_key_file,
            args.tls_insecure,
        )
        scanner = JobScanner(
            client,
            detectors=detectors,
            allow=allow,
            fingerprinter=fingerprinter,
            options=options,
            thresholds=thresholds,
            progress=bar,
        )
        report = scanner.run()
    except ScanError as exc:
        stderr.write(f"redis-job-scan: {exc}\n")
        return EXIT_USAGE
    except Exception as exc:
        import redis.exceptions

        if not isinstance(exc, redis.exceptions.RedisError):
            raise
        if bar:
            bar.finish()
        stderr.write(f"redis-job-scan: {describe_redis_error(exc, target, user)}\n")
        return EXIT_REDIS
    if bar:
        bar.finish()
    report.summary["target"] = target
    if args.format == "json":
        text = render_json(report)
    elif args.format == "sarif":
        text = render_sarif(report, scanner.rules())
    else:
        text = render_table(report)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        stdout.write(text)
    return _exit_code(report, args.fail_on)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
