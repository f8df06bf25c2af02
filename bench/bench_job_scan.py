#!/usr/bin/env python3
"""Benchmark the job scanner against detect-secrets on the same corpus.

What it does, all on this machine:

1. starts a private ``redis-server`` on a unix socket in a temporary
   directory (no TCP port, nothing persisted) and stops it at the end;
2. seeds ``--jobs`` Sidekiq-format jobs (default 100,000) over the queues and
   the retry and dead sets, about 1% of them carrying a synthetic secret
   (test card numbers, the AWS documentation's example key, e-mail
   addresses, passwords);
3. scans them with :class:`JobScanner` in a child process, which reports
   wall time, jobs per second, the tracemalloc peak and its maximum RSS; a
   second child scans only the first tenth, so the two peaks show whether
   memory grows with the data;
4. exports the same jobs to JSON-lines files (1,000 jobs per file) and runs
   ``detect-secrets scan --all-files --no-verify .`` over them in a child
   (inside the export directory; ``--no-verify`` keeps it off the network),
   timing it the same way;
5. prints both sets of figures and their ratio. It asserts nothing about
   speed: the figures depend on the machine.

Run from the repository root::

    python bench/bench_job_scan.py            # 100,000 jobs
    python bench/bench_job_scan.py --jobs 20000 --timeout 300

Needs ``redis-server`` on PATH, redis-py, and detect-secrets (PyPI) in the
running Python. Maximum RSS comes from ``wait4`` on each child; detect-secrets
may fork workers whose memory is counted only once reaped, so its figure is
indicative. The tracemalloc peak counts Python allocations of the scan only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO_ROOT / ".collections"
LINK = COLLECTIONS / "ansible_collections" / "jobqueue" / "redis_hardening"

PLANTS = (
    ("card", "4111111111111111"),
    ("card", "5555555555554444"),
    ("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"),
    ("email", "jane.doe@example.org"),
    ("password", "correct horse battery staple!"),
)


def _import_scanner() -> Any:
    if not LINK.exists():
        LINK.parent.mkdir(parents=True, exist_ok=True)
        LINK.symlink_to(REPO_ROOT, target_is_directory=True)
    sys.path.insert(0, str(COLLECTIONS))
    from ansible_collections.jobqueue.redis_hardening.plugins.module_utils import (
        job_scan,
    )

    return job_scan


def make_job(n: int, rng: random.Random) -> tuple[bytes, bool]:
    """One Sidekiq job; every hundredth carries a planted value."""
    options: dict[str, Any] = {
        "user_id": 10_000 + n,
        "order_number": 1_234_567_890 + n,
        "amount_cents": rng.randint(100, 99_999),
        "currency": rng.choice(["EUR", "USD", "GBP"]),
        "locale": "en",
    }
    planted = n % 100 == 0
    if planted:
        field, value = PLANTS[(n // 100) % len(PLANTS)]
        options[field] = value
    job = {
        "class": rng.choice(["InvoiceJob", "ReportJob", "SyncJob", "MailJob"]),
        "args": [n, f"report-{n % 365}", options],
        "jid": f"{rng.getrandbits(96):024x}",
        "retry": True,
        "queue": "default",
        "created_at": 1_717_000_000.0 + n,
        "enqueued_at": 1_717_000_000.5 + n,
    }
    return json.dumps(job).encode(), planted


def start_redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("bench: redis-server is not installed (apt-get install redis-server)")
    sock = str(workdir / "redis.sock")
    proc = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(sock)
            return proc, sock
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("bench: redis-server did not start within 10 s")


def seed(sock: str, jobs: int) -> int:
    import redis

    client = redis.Redis(unix_socket_path=sock)
    rng = random.Random(7)
    planted = 0
    pipe = client.pipeline(transaction=False)
    for n in range(jobs):
        raw, hit = make_job(n, rng)
        planted += hit
        slot = n % 20
        if slot == 18:
            pipe.zadd("retry", {raw: 1_717_100_000.0 + n})
        elif slot == 19:
            pipe.zadd("dead", {raw: 1_717_000_000.0 + n})
        else:
            pipe.rpush(("queue:default", "queue:mailers", "queue:low")[slot % 3], raw)
        if n % 1000 == 999:
            pipe.execute()
    pipe.execute()
    client.close()
    return planted


def export(sock: str, target: Path) -> int:
    """Write every job, read in pages, as JSON lines for detect-secrets."""
    import redis

    client = redis.Redis(unix_socket_path=sock)
    written = 0
    keys = ["queue:default", "queue:mailers", "queue:low"]
    sources = [(k, "list") for k in keys] + [("retry", "zset"), ("dead", "zset")]
    for key, kind in sources:
        start = 0
        while True:
            if kind == "list":
                page = client.lrange(key, start, start + 999)
            else:
                page = client.zrange(key, start, start + 999)
            if page:
                name = target / f"jobs-{key.replace(':', '-')}-{start:08d}.jsonl"
                name.write_bytes(b"\n".join(page) + b"\n")
                written += len(page)
            if len(page) < 1000:
                break
            start += 1000
    client.close()
    return written


def scan_child(sock: str, max_jobs: int | None) -> None:
    """Runs in a child process: scan and print figures as JSON."""
    import tracemalloc

    import redis

    job_scan = _import_scanner()
    client = redis.Redis(unix_socket_path=sock)
    options = job_scan.ScanOptions(max_jobs=max_jobs, families=frozenset({"sidekiq"}))
    scanner = job_scan.JobScanner(client, options=options)
    started = time.perf_counter()
    findings = sum(1 for f in scanner.iter_findings() if f.control == "DATA-01")
    elapsed = time.perf_counter() - started
    jobs = scanner.stats.jobs_scanned
    # A second pass under tracemalloc: tracing slows it, so it is not timed.
    tracemalloc.start()
    scanner = job_scan.JobScanner(client, options=options)
    for _ in scanner.iter_findings():
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "jobs": jobs,
                "findings": findings,
                "seconds": elapsed,
                "traced_peak": peak,
                "maxrss_kib": usage.ru_maxrss,
            }
        )
    )


def run_child(
    argv: list[str], timeout: float, cwd: Path | None = None
) -> tuple[str, float, int, int]:
    """Run a child, return stdout, wall seconds, its max RSS (KiB), exit code."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, cwd=cwd)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                sys.exit(f"bench: {argv[0]} did not finish within {timeout:.0f} s")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return out.read().decode(), elapsed, usage.ru_maxrss, proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=900, help="per step, s")
    parser.add_argument("--scan-child", help=argparse.SUPPRESS)
    parser.add_argument("--max-jobs", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scan_child:
        scan_child(args.scan_child, args.max_jobs)
        return 0
    detect = Path(sys.executable).with_name("detect-secrets")
    if not detect.exists():
        detect = Path(shutil.which("detect-secrets") or "")
    if not detect.is_file():
        sys.exit("bench: detect-secrets is not installed (pip install detect-secrets)")
    workdir = Path(tempfile.mkdtemp(prefix="bench-job-scan-"))
    proc, sock = start_redis(workdir)
    try:
        started = time.perf_counter()
        planted = seed(sock, args.jobs)
        print(f"seeded {args.jobs} Sidekiq jobs ({planted} with a planted value) "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        me = [sys.executable, str(Path(__file__).resolve()), "--scan-child", sock]
        out, _, rss, code = run_child(me, args.timeout)
        if code:
            sys.exit(f"bench: the scan child failed with exit code {code}")
        full = json.loads(out)
        tenth = max(args.jobs // 10, 1)
        out, _, _, code = run_child([*me, "--max-jobs", str(tenth)], args.timeout)
        if code:
            sys.exit(f"bench: the partial scan child failed with exit code {code}")
        part = json.loads(out)
        corpus = workdir / "corpus"
        corpus.mkdir()
        exported = export(sock, corpus)
        # detect-secrets only reports files below its working directory.
        ds_out, ds_seconds, ds_rss, code = run_child(
            [str(detect), "scan", "--all-files", "--no-verify", "."],
            args.timeout,
            cwd=corpus,
        )
        if code:
            sys.exit(f"bench: detect-secrets failed with exit code {code}")
        results = json.loads(ds_out).get("results", {})
        ds_found = sum(len(items) for items in results.values())
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    ours_rate = full["jobs"] / full["seconds"]
    ds_rate = exported / ds_seconds
    mib = 1024 * 1024
    print(
        f"redis-job-scan: {full['jobs']} jobs in {full['seconds']:.2f} s = "
        f"{ours_rate:,.0f} jobs/s; {full['findings']} findings; traced peak "
        f"{full['traced_peak'] / mib:.2f} MiB; max RSS {rss / 1024:.1f} MiB"
    )
    print(
        f"redis-job-scan on the first {part['jobs']} jobs: traced peak "
        f"{part['traced_peak'] / mib:.2f} MiB (memory growth x"
        f"{full['traced_peak'] / max(part['traced_peak'], 1):.2f} for "
        f"x{full['jobs'] / max(part['jobs'], 1):.0f} jobs)"
    )
    print(
        f"detect-secrets:  {exported} jobs in {ds_seconds:.2f} s = {ds_rate:,.0f} "
        f"jobs/s; {ds_found} findings (one per distinct secret and file); "
        f"max RSS {ds_rss / 1024:.1f} MiB"
    )
    print(
        f"throughput ratio (redis-job-scan / detect-secrets): {ours_rate / ds_rate:.2f}"
    )
    print(f"planted values: {planted}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
