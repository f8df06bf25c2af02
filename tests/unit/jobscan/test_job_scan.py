"""DATA-01 and DATA-03 scanner: labelled corpus, read-only access, flat memory."""

from __future__ import annotations

import json
import pickle
import tracemalloc
import zlib
from typing import Any

import pytest
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils import (
    detectors,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils import (
    findings as fmod,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.job_scan import (
    REQUIRED_COMMANDS,
    JobScanner,
    ScanOptions,
    Thresholds,
)
from jobscan_corpus import (
    FakeRedis,
    Planted,
    celery_message,
    clean_sidekiq_jobs,
    jid,
    rq_job_hash,
    seed_corpus,
    sidekiq_job,
)

AllowList = detectors.AllowList
DetectorSet = detectors.DetectorSet
KEYRING = {1: bytes(range(32)), 2: bytes(range(32, 64))}
FP_KEY = b"k" * 32
NOW = 1_717_200_000.0


def scanner(client: Any, **kwargs: Any) -> JobScanner:
    kwargs.setdefault("fingerprinter", fmod.Fingerprinter(FP_KEY))
    kwargs.setdefault("clock", lambda: NOW)
    return JobScanner(client, **kwargs)


def fragments(value: str, size: int = 8) -> set[str]:
    """Every substring of ``size`` characters (the whole value if shorter)."""
    if len(value) <= size:
        return {value}
    return {value[i : i + size] for i in range(len(value) - size + 1)}


def assert_never_printed(planted: list[Planted], *outputs: str) -> None:
    for p in planted:
        for text in {p.value, p.normalised}:
            for piece in fragments(text):
                for output in outputs:
                    assert piece not in output, f"{p.detector} value leaked"
                    # JSON output escapes quotes and backslashes.
                    assert json.dumps(piece)[1:-1] not in output


def test_data01_every_planted_value_is_found_and_never_shown(backend: Any) -> None:
    planted = seed_corpus(backend, KEYRING)
    scan = scanner(backend)
    report = scan.run()
    fp = fmod.Fingerprinter(FP_KEY)
    data01 = [f for f in report.findings if f.control == "DATA-01"]
    for p in planted:
        matches = [
            f
            for f in data01
            if f.detector == p.detector
            and f.fingerprint == fp(p.normalised)
            and f.key.startswith(p.key)
            and f.path.endswith(p.path_suffix)
        ]
        assert matches, f"planted {p.detector} in {p.key} {p.path_suffix} not found"
    # Nothing but planted values is reported: the clean jobs stay silent.
    planted_prints = {fp(p.normalised) for p in planted}
    assert {f.fingerprint for f in data01} <= planted_prints
    assert report.summary["by_key_version"] == {"1": 1, "2": 1}
    outputs = [
        fmod.render_table(report),
        fmod.render_json(report),
        fmod.render_sarif(report, scan.rules()),
    ]
    assert_never_printed(planted, *outputs)


def test_data01_findings_name_class_jid_and_path(fake_redis: FakeRedis) -> None:
    seed_corpus(fake_redis)
    report = scanner(fake_redis).run()
    card = next(f for f in report.findings if f.path == "args[1].card")
    assert (card.key, card.job_class, card.jid, card.source) == (
        "queue:default",
        "PaymentJob",
        jid("a"),
        "sidekiq-queue",
    )
    wrapped = next(f for f in report.findings if f.detector == "iban")
    assert wrapped.job_class == "RefundJob"
    rq = next(f for f in report.findings if f.source == "rq-job")
    assert rq.job_class in {"billing.charge", "mail.send"}
    celery = next(f for f in report.findings if f.path == "kwargs.token")
    assert celery.job_class == "tasks.sync"


def test_data01_clean_corpus_gives_no_finding(backend: Any) -> None:
    for raw in clean_sidekiq_jobs(50):
        backend.rpush("queue:default", raw)
    for raw in clean_sidekiq_jobs(5, start=500):
        backend.zadd("retry", {raw: NOW})
    backend.hset(
        "rq:job:abc", mapping=rq_job_hash("abc", "reports.build", (1,), {"x": "y"})
    )
    report = scanner(backend).run()
    assert report.findings == []
    assert report.summary["jobs_scanned"] == 56


def test_data01_scanner_is_read_only_and_pages_reads(fake_redis: FakeRedis) -> None:
    seed_corpus(fake_redis, KEYRING)
    for raw in clean_sidekiq_jobs(45):
        fake_redis.rpush("queue:big", raw)
    options = ScanOptions(page_size=7, scan_count=5)
    scanner(fake_redis, options=options).run()
    used = {name for name, _ in fake_redis.calls}
    assert used <= set(REQUIRED_COMMANDS) | {"hscan"}
    assert "keys" not in used
    for name, args in fake_redis.calls:
        if name in ("lrange", "zrange"):
            assert args[2] - args[1] + 1 <= 7
    # The 45-job list needs 7 pages of 7 (the last one short).
    big_pages = [
        a for n, a in fake_redis.calls if n == "lrange" and a[0] == "queue:big"
    ]
    assert len(big_pages) == 7


def test_data01_memory_stays_flat_as_queues_grow() -> None:
    def peak_for(jobs: int) -> int:
        client = FakeRedis()
        for raw in clean_sidekiq_jobs(jobs):
            client.rpush("queue:default", raw)
        for n in range(jobs // 10):
            card = sidekiq_job("PayJob", [{"card": "4111111111111111"}], f"{n:024x}")
            client.rpush("queue:cards", card)
        scan = scanner(client, options=ScanOptions(page_size=100))
        tracemalloc.start()
        try:
            count = sum(1 for _ in scan.iter_findings())
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert count == jobs // 10
        return peak

    small, large = peak_for(400), peak_for(4_000)
    # Ten times the jobs (and findings) may not cost ten times the memory.
    assert large < small * 2 + 256 * 1024, (small, large)


def test_data01_allow_list_suppresses_by_fingerprint_and_path(
    fake_redis: FakeRedis,
) -> None:
    planted = seed_corpus(fake_redis)
    fp = fmod.Fingerprinter(FP_KEY)
    email = next(p for p in planted if p.detector == "email")
    allow = AllowList.build([fp(email.normalised)], [r"^dead#"])
    report = scanner(fake_redis, allow=allow).run()
    prints = {f.fingerprint for f in report.findings}
    assert fp(email.normalised) not in prints
    assert not [
        f for f in report.findings if f.key == "dead" and f.control == "DATA-01"
    ]
    assert report.summary["allowed"] >= 3


def test_data01_disabled_detector_reports_nothing(fake_redis: FakeRedis) -> None:
    seed_corpus(fake_redis)
    detectors = DetectorSet(disabled=["card_number", "email"])
    report = scanner(fake_redis, detectors=detectors).run()
    assert not {f.detector for f in report.findings} & {"card_number", "email"}
    assert "card_number" not in report.summary["detectors"]


def test_data01_secrets_in_labels_and_dict_keys_are_redacted(
    fake_redis: FakeRedis,
) -> None:
    job = sidekiq_job(
        "Job4111111111111111",
        [{"AKIAIOSFODNN7EXAMPLE": 1}],
        "jane@example.org",
    )
    fake_redis.rpush("queue:user:bob@example.org", job)
    report = scanner(fake_redis).run()
    text = fmod.render_json(report)
    for secret in ("4111111111111111", "AKIAIOSFODNN7EXAMPLE", "jane@", "bob@"):
        assert secret not in text
    detectors = {f.detector for f in report.findings}
    assert {"aws_access_key_id", "email"} <= detectors
    (finding,) = [f for f in report.findings if f.detector == "aws_access_key_id"]
    assert finding.job_class.startswith("<redacted fp:")
    assert finding.key.startswith("<redacted fp:")
    assert any(f.path == "args[0].<key>" for f in report.findings)


UNPICKLED: list[str] = []


def _record_unpickling(value: str) -> str:
    # Runs only if someone loads the pickle below.
    UNPICKLED.append(value)
    return value


class _Payload:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (_record_unpickling, ("AKIAIOSFODNN7EXAMPLE",))


def test_data01_pickles_are_read_but_never_loaded(fake_redis: FakeRedis) -> None:
    data = pickle.dumps(("app.sync", None, (_Payload(),), {}), protocol=4)
    fake_redis.hset("rq:job:boom", mapping={"data": zlib.compress(data)})
    report = scanner(fake_redis).run()
    assert UNPICKLED == []
    assert [f.detector for f in report.findings] == ["aws_access_key_id"]
    assert report.summary["uninspected"] == {}


def test_data01_unknown_celery_serialisers_are_counted(fake_redis: FakeRedis) -> None:
    message = json.loads(celery_message("tasks.x", "id-1", [1], {}))
    message["content-type"] = "application/x-msgpack"
    fake_redis.rpush("celery", json.dumps(message).encode())
    report = scanner(fake_redis).run()
    assert report.summary["uninspected"] == {"celery-queue:application/x-msgpack": 1}


def test_data01_max_jobs_and_max_findings_bound_the_run(fake_redis: FakeRedis) -> None:
    for n in range(30):
        job = sidekiq_job("PayJob", [{"card": "4111111111111111"}], f"{n:024x}")
        fake_redis.rpush("queue:cards", job)
    report = scanner(fake_redis, options=ScanOptions(max_findings=5)).run()
    assert len(report.findings) == 5
    assert report.summary["findings_total"] == 30
    assert report.summary["findings_truncated"] is True
    report = scanner(fake_redis, options=ScanOptions(max_jobs=10)).run()
    assert report.summary["jobs_scanned"] == 10
    assert report.summary["jobs_truncated"] is True


def test_data03_retention_sizes_and_ages_against_thresholds(backend: Any) -> None:
    day = 86_400.0
    for n in range(4):
        job = sidekiq_job("SyncJob", [n], f"{n:024x}", created_at=NOW - (n + 1) * day)
        backend.zadd("retry", {job: NOW + 60})
    # Sidekiq 8 stores milliseconds; this dead job has no created_at at all.
    dead_ms = sidekiq_job("OldJob", [1], "d" * 24, created_at=(NOW - 30 * day) * 1000)
    backend.zadd("dead", {dead_ms: NOW - 30 * day})
    limits = Thresholds(
        retry_max_size=3, retry_max_age=5 * day, dead_max_size=10, dead_max_age=7 * day
    )
    report = scanner(backend, thresholds=limits).run()
    retention = report.summary["retention"]
    assert retention["retry"]["size"] == 4
    assert retention["retry"]["oldest_age_seconds"] == pytest.approx(4 * day)
    assert retention["dead"]["oldest_age_seconds"] == pytest.approx(30 * day)
    rules = {f.detector for f in report.findings if f.control == "DATA-03"}
    assert rules == {"retry_set_size", "dead_set_age"}
    relaxed = Thresholds(retry_max_size=4, retry_max_age=5 * day, dead_max_age=31 * day)
    assert scanner(backend, thresholds=relaxed).run().findings == []


def test_data03_dead_set_age_falls_back_to_score(fake_redis: FakeRedis) -> None:
    fake_redis.zadd("dead", {b'{"class":"X","args":[]}': NOW - 100})
    fake_redis.zadd("dead", {b"not json at all": NOW - 200})
    report = scanner(fake_redis).run()
    assert report.summary["retention"]["dead"]["oldest_age_seconds"] == 200
    assert report.summary["uninspected"] == {"sidekiq-dead:not-json": 1}


def test_data01_sidekiq_namespace_and_progress(fake_redis: FakeRedis) -> None:
    for raw in clean_sidekiq_jobs(1200):
        fake_redis.rpush("myapp:queue:default", raw)
    fake_redis.rpush("queue:other", sidekiq_job("X", ["jane@example.org"], "1" * 24))
    seen: list[tuple[int, int]] = []
    options = ScanOptions(sidekiq_namespace="myapp", families=frozenset({"sidekiq"}))
    report = scanner(
        fake_redis, options=options, progress=lambda d, t: seen.append((d, t))
    ).run()
    assert report.summary["jobs_scanned"] == 1200
    assert report.findings == []
    assert seen[-1] == (1200, 1200) and len(seen) >= 3


def test_data01_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="page_size"):
        ScanOptions(page_size=0)
    with pytest.raises(ValueError, match="unknown job family"):
        ScanOptions(families=frozenset({"resque"}))
