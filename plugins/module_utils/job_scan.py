"""Read-only walker over job-queue data in Redis (controls DATA-01, DATA-03).

What is read, and how:

* Sidekiq: every ``queue:*`` list (``<namespace>:queue:*`` with a
  namespace) and the ``schedule``, ``retry`` and ``dead`` sorted sets. Each
  entry is a JSON job; ActiveJob wrappers report the wrapped class.
* RQ: ``rq:job:*`` hashes (one per job, whatever its state) and the
  ``rq:queue:*`` lists of job IDs. The ``data``, ``meta`` and ``result``
  fields are zlib-compressed pickles by default. Pickles are NEVER
  unpickled: loading one runs code chosen by whoever wrote it. Instead the
  opcode stream is parsed with :func:`pickletools.genops`, which only reads
  it, and the string and integer constants found there are inspected; a
  string that follows a field-like string is treated as that field's value.
  JSON-serialised RQ jobs and text fields (``description``, ``exc_info``)
  are inspected fully.
* Celery: the ``celery`` list and every other Kombu queue named in the
  ``_kombu.binding.*`` sets or passed in, with their priority sub-queues,
  plus the ``unacked`` hash. Messages are JSON with a base64 body; JSON
  bodies are walked (``args``, ``kwargs``), pickle bodies are read as above,
  other serialisers (yaml, msgpack) are counted as not inspected.

Only read commands are sent (see :data:`REQUIRED_COMMANDS`): keys are found
with SCAN MATCH/COUNT and checked with TYPE, never KEYS; lists, sorted sets
and hashes are read in pages of ``page_size`` entries. Findings are produced
by a generator and nothing grows with the queue sizes except counters, so
memory stays flat; the caller caps how many findings it keeps.

DATA-03: the sizes of the ``retry`` and ``dead`` sets (ZCARD) and the age of
their oldest job (earliest ``created_at``, else ``enqueued_at``/``failed_at``,
else the set score for ``dead``) are compared with thresholds; a breach is
reported as a DATA-03 finding.

Limitations:

* A live queue moves while it is read: SCAN may return a key twice, and
  pages read by index can skip or repeat entries when jobs are pushed or
  popped between pages. The scan is a best-effort snapshot, not a
  transaction.
* Values longer than ``max_value_chars`` are inspected up to that length;
  compressed fields are inflated up to ``max_inflated_bytes``; entries larger
  than ``max_entry_bytes`` are inspected as raw text up to that size.
* Pickled data is inspected by its constants only; secrets built at unpickle
  time (e.g. from bytes handed to a constructor) or held in custom objects
  whose state is not plain strings are missed.
* Jobs being executed (Sidekiq ``<process>:work`` hashes), Celery results
  (``celery-task-meta-*``) and RQ failure registries are not read, and the
  retention check covers Sidekiq's retry and dead sets only.
"""

from __future__ import annotations

import base64
import binascii
import json
import pickletools
import time
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

from .detectors import DETECTORS, AllowList, DetectorSet, card_digit_runs
from .findings import Finding, Fingerprinter, Report, safe_label
from .job_envelope import envelope_version

# Everything the scanner sends; a read-only ACL profile needs these (plus
# AUTH/HELLO, always allowed, and SELECT when a db other than 0 is used).
REQUIRED_COMMANDS = (
    "ping",
    "scan",
    "type",
    "llen",
    "lrange",
    "zcard",
    "zrange",
    "hscan",
    "hgetall",
    "sscan",
)

RETENTION_RULES = {
    "retry_set_size": "Retry set larger than the limit",
    "retry_set_age": "Retry set keeps jobs longer than the limit",
    "dead_set_size": "Dead set larger than the limit",
    "dead_set_age": "Dead set keeps jobs longer than the limit",
}

_KOMBU_SEP = "\x06\x16"
_ZLIB_HEADERS = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")
_PICKLE_STRING_OPS = frozenset(
    {
        "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING",
        "BINSTRING", "SHORT_BINSTRING", "SHORT_BINBYTES", "BINBYTES",
        "BINBYTES8", "BYTEARRAY8",
    }
)  # fmt: skip
_PICKLE_INT_OPS = frozenset({"INT", "LONG", "LONG1", "LONG4", "BININT"})
_NAME_CACHE_SIZE = 4096
_JOB_TIME_FIELDS = ("created_at", "enqueued_at", "failed_at")


@dataclass(slots=True)
class Thresholds:
    """DATA-03 limits; ages in seconds. Defaults follow Sidekiq's own."""

    retry_max_size: int = 10_000
    retry_max_age: int = 21 * 86_400  # 25 retries span about three weeks
    dead_max_size: int = 10_000  # Sidekiq's dead_max_jobs
    dead_max_age: int = 180 * 86_400  # Sidekiq's dead_timeout_in_seconds


@dataclass(slots=True)
class ScanOptions:
    """Bounds and scope of one scan."""

    page_size: int = 200
    scan_count: int = 1_000
    max_jobs: int | None = None
    max_findings: int = 10_000
    max_depth: int = 32
    max_value_chars: int = 1_048_576
    max_entry_bytes: int = 8 * 1_048_576
    max_inflated_bytes: int = 8 * 1_048_576
    sidekiq_namespace: str = ""
    celery_queues: tuple[str, ...] = ("celery",)
    families: frozenset[str] = frozenset({"sidekiq", "rq", "celery"})

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= 10_000:
            raise ValueError("page_size must be between 1 and 10000")
        if self.scan_count < 1:
            raise ValueError("scan_count must be at least 1")
        unknown = set(self.families) - {"sidekiq", "rq", "celery"}
        if unknown:
            raise ValueError(f"unknown job family: {', '.join(sorted(unknown))}")


@dataclass(slots=True)
class _SetAge:
    size: int = 0
    oldest: float | None = None


@dataclass(slots=True)
class ScanStats:
    """Counters only: their size does not depend on the data."""

    jobs_scanned: int = 0
    keys_scanned: int = 0
    findings_total: int = 0
    allowed: int = 0
    truncated_jobs: bool = False
    by_detector: dict[str, int] = field(default_factory=dict)
    by_key_version: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    uninspected: dict[str, int] = field(default_factory=dict)
    retention: dict[str, _SetAge] = field(default_factory=dict)

    def bump(self, table: dict[str, int], name: str, amount: int = 1) -> None:
        table[name] = table.get(name, 0) + amount


@dataclass(slots=True)
class _Context:
    """Where the values being walked come from."""

    key: str
    source: str
    job_class: str = ""
    jid: str = ""


class _StopScan(Exception):
    pass


ProgressCallback = Callable[[int, int], None]


def _text(raw: bytes | str) -> str:
    return raw if isinstance(raw, str) else raw.decode("utf-8", "replace")


class JobScanner:
    """Walk job data in one Redis database and yield findings."""

    def __init__(
        self,
        client: Any,
        detectors: DetectorSet | None = None,
        allow: AllowList | None = None,
        fingerprinter: Fingerprinter | None = None,
        options: ScanOptions | None = None,
        thresholds: Thresholds | None = None,
        clock: Callable[[], float] = time.time,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.client = client
        self.detectors = detectors or DetectorSet()
        self.allow = allow or AllowList()
        self.fingerprint = fingerprinter or Fingerprinter()
        self.options = options or ScanOptions()
        self.thresholds = thresholds or Thresholds()
        self.clock = clock
        self.progress = progress
        self.stats = ScanStats()
        self._expected = 0
        self._now = 0.0
        # Bounded caches of field names and labels already found clean.
        self._clean_names: dict[str, str] = {}
        self._clean_labels: dict[str, str] = {}

    # -- public API ---------------------------------------------------------

    def run(self) -> Report:
        """Scan everything and return a report with at most max_findings."""
        report = Report()
        for finding in self.iter_findings():
            if len(report.findings) < self.options.max_findings:
                report.findings.append(finding)
        report.summary = self.summary()
        return report

    def iter_findings(self) -> Iterator[Finding]:
        """Yield findings one by one while walking the configured families."""
        self.stats = ScanStats()
        self._now = self.clock()
        self.client.ping()
        walkers: list[Callable[[], Iterator[Finding]]] = []
        if "sidekiq" in self.options.families:
            walkers.append(self._walk_sidekiq)
        if "celery" in self.options.families:
            walkers.append(self._walk_celery)
        if "rq" in self.options.families:
            walkers.append(self._walk_rq)
        try:
            for walker in walkers:
                yield from walker()
        except _StopScan:
            self.stats.truncated_jobs = True
        yield from self._retention_findings()
        self._report_progress(final=True)

    def summary(self) -> dict[str, Any]:
        stats = self.stats
        retention = {}
        for name, figures in stats.retention.items():
            age = (
                None if figures.oldest is None else max(0.0, self._now - figures.oldest)
            )
            retention[name] = {
                "size": figures.size,
                "oldest_age_seconds": age,
                "max_size": getattr(self.thresholds, f"{name}_max_size"),
                "max_age_seconds": getattr(self.thresholds, f"{name}_max_age"),
            }
        return {
            "jobs_scanned": stats.jobs_scanned,
            "keys_scanned": stats.keys_scanned,
            "findings_total": stats.findings_total,
            "findings_listed": min(stats.findings_total, self.options.max_findings),
            "findings_truncated": stats.findings_total > self.options.max_findings,
            "allowed": stats.allowed,
            "jobs_truncated": stats.truncated_jobs,
            "by_detector": dict(stats.by_detector),
            "by_key_version": dict(stats.by_key_version),
            "by_source": dict(stats.by_source),
            "uninspected": dict(stats.uninspected),
            "retention": retention,
            "detectors": list(self.detectors.ids),
        }

    def rules(self) -> dict[str, str]:
        """Rule id to description, for SARIF."""
        rules = {d: DETECTORS[d].title for d in self.detectors.ids}
        rules.update(RETENTION_RULES)
        return rules

    # -- key discovery --------------------------------------------------------

    def _scan_keys(self, pattern: str) -> Iterator[str]:
        for raw in self.client.scan_iter(match=pattern, count=self.options.scan_count):
            yield _text(raw)

    def _type(self, key: str) -> str:
        return _text(self.client.type(key))

    def _list_pages(self, key: str) -> Iterator[bytes]:
        start = 0
        size = self.options.page_size
        while True:
            page = self.client.lrange(key, start, start + size - 1)
            yield from page
            if len(page) < size:
                return
            start += size

    def _zset_pages(self, key: str) -> Iterator[tuple[bytes, float]]:
        start = 0
        size = self.options.page_size
        while True:
            page = self.client.zrange(key, start, start + size - 1, withscores=True)
            yield from page
            if len(page) < size:
                return
            start += size

    # -- Sidekiq ---------------------------------------------------------------

    def _walk_sidekiq(self) -> Iterator[Finding]:
        ns = self.options.sidekiq_namespace
        prefix = f"{ns}:" if ns else ""
        queues = sorted(
            {k for k in self._scan_keys(f"{prefix}queue:*") if self._type(k) == "list"}
        )
        sets = [
            (f"{prefix}{name}", name)
            for name in ("schedule", "retry", "dead")
            if self._type(f"{prefix}{name}") == "zset"
        ]
        for queue in queues:
            self._expected += int(self.client.llen(queue))
        for key, _name in sets:
            self._expected += int(self.client.zcard(key))
        for queue in queues:
            self.stats.keys_scanned += 1
            yield from self._key_name_findings(queue, "sidekiq-queue")
            label = self._label(queue)
            for raw in self._list_pages(queue):
                yield from self._sidekiq_job(raw, label, "sidekiq-queue", None)
        for key, name in sets:
            self.stats.keys_scanned += 1
            if name in ("retry", "dead"):
                self.stats.retention[name] = _SetAge(size=int(self.client.zcard(key)))
            for raw, score in self._zset_pages(key):
                yield from self._sidekiq_job(raw, key, f"sidekiq-{name}", score)

    def _sidekiq_job(
        self, raw: bytes, key: str, source: str, score: float | None
    ) -> Iterator[Finding]:
        self._count_job(source)
        job = self._load_json(raw, source)
        set_name = source.removeprefix("sidekiq-")
        if not isinstance(job, dict):
            if set_name in self.stats.retention and score is not None:
                self._note_age(set_name, score)
            yield from self._scan_unparsed(raw, _Context(key, source))
            return
        job_class = job.get("wrapped") or job.get("class") or ""
        ctx = _Context(
            key,
            source,
            self._label(str(job_class), remember=True),
            self._label(str(job.get("jid") or "")),
        )
        if set_name in self.stats.retention:
            stamp = next(
                (
                    job[f]
                    for f in _JOB_TIME_FIELDS
                    if isinstance(job.get(f), int | float)
                ),
                None,
            )
            if stamp is None and set_name == "dead":
                stamp = score
            if stamp is not None:
                self._note_age(set_name, _epoch_seconds(stamp))
        yield from self._walk_value(job, "", None, ctx, 0)

    def _note_age(self, set_name: str, stamp: float) -> None:
        figures = self.stats.retention[set_name]
        if figures.oldest is None or stamp < figures.oldest:
            figures.oldest = stamp

    # -- RQ ------------------------------------------------------------------------

    def _walk_rq(self) -> Iterator[Finding]:
        for key in self._scan_keys("rq:*"):
            if key.startswith("rq:job:"):
                if self._type(key) != "hash":
                    continue  # rq:job:<id>:dependents and similar sets
                self.stats.keys_scanned += 1
                self._expected += 1
                yield from self._rq_job(key)
            elif key.startswith("rq:queue:") and self._type(key) == "list":
                self.stats.keys_scanned += 1
                ctx = _Context(self._label(key), "rq-queue")
                yield from self._key_name_findings(key, "rq-queue")
                for index, raw in enumerate(self._list_pages(key)):
                    # Entries are job IDs, which callers may choose freely.
                    yield from self._scan_text(_text(raw), f"[{index}]", None, ctx)

    def _rq_job(self, key: str) -> Iterator[Finding]:
        self._count_job("rq-job")
        fields = {_text(k): v for k, v in self.client.hgetall(key).items()}
        description = _text(fields.get("description", b""))
        func = description.split("(", 1)[0].strip()
        ctx = _Context(
            self._label(key),
            "rq-job",
            self._label(func, remember=True),
            self._label(key[7:]),
        )
        yield from self._key_name_findings(key, "rq-job")
        for name in sorted(fields):
            yield from self._scan_blob(fields[name], safe_label(name), name, ctx)

    def _scan_blob(
        self, raw: bytes, path: str, field_name: str | None, ctx: _Context
    ) -> Iterator[Finding]:
        """Inspect stored bytes of unknown encoding: zlib, pickle, JSON or text."""
        if raw[:2] in _ZLIB_HEADERS:
            inflated = self._inflate(raw, ctx.source)
            if inflated is not None:
                raw = inflated
                path = f"{path}<zlib>"
        if raw[:1] == b"\x80":
            yield from self._scan_pickle(raw, path, ctx)
            return
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            self.stats.bump(self.stats.uninspected, f"{ctx.source}:binary")
            return
        yield from self._scan_text(text, path, field_name, ctx)

    def _inflate(self, raw: bytes, source: str) -> bytes | None:
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(raw, self.options.max_inflated_bytes)
        except zlib.error:
            return None
        if inflater.unconsumed_tail:
            self.stats.bump(self.stats.uninspected, f"{source}:inflated-truncated")
        return data

    def _scan_pickle(self, raw: bytes, path: str, ctx: _Context) -> Iterator[Finding]:
        previous = ""
        index = 0
        try:
            for opcode, arg, _pos in pickletools.genops(BytesIO(raw)):
                value: str | None = None
                if opcode.name in _PICKLE_STRING_OPS:
                    if isinstance(arg, bytes | bytearray):
                        value = bytes(arg).decode("utf-8", "replace")
                    elif isinstance(arg, str):
                        value = arg
                elif opcode.name in _PICKLE_INT_OPS and _long_int(arg):
                    value = str(arg)
                if value is None:
                    continue
                # Dict items are pickled key then value: use the previous
                # constant as the field name when it looks like one.
                field_name = previous if _looks_like_field(previous) else None
                yield from self._scan_text(
                    value, f"{path}<pickle>[{index}]", field_name, ctx
                )
                previous = value
                index += 1
        except (ValueError, EOFError, KeyError, IndexError):
            self.stats.bump(self.stats.uninspected, f"{ctx.source}:pickle-partial")

    # -- Celery --------------------------------------------------------------------

    def _celery_queue_names(self) -> list[str]:
        names = set(self.options.celery_queues)
        for binding in self._scan_keys("_kombu.binding.*"):
            if self._type(binding) != "set":
                continue
            for member in self.client.sscan_iter(
                binding, count=self.options.scan_count
            ):
                queue = _text(member).rsplit(_KOMBU_SEP, 1)[-1]
                if queue:
                    names.add(queue)
        keys = []
        for name in sorted(names):
            # Kombu keeps priority levels other than 0 in "<queue>\x06\x16<n>".
            for key in [name] + [f"{name}{_KOMBU_SEP}{n}" for n in range(1, 10)]:
                if self._type(key) == "list":
                    keys.append(key)
        return keys

    def _walk_celery(self) -> Iterator[Finding]:
        queues = self._celery_queue_names()
        for key in queues:
            self._expected += int(self.client.llen(key))
        for key in queues:
            self.stats.keys_scanned += 1
            label = self._label(key.replace(_KOMBU_SEP, ":priority:"))
            for raw in self._list_pages(key):
                yield from self._celery_message(raw, label, "celery-queue")
        if self._type("unacked") == "hash":
            self.stats.keys_scanned += 1
            for _tag, raw in self.client.hscan_iter(
                "unacked", count=self.options.page_size
            ):
                entry = self._load_json(raw, "celery-unacked")
                if isinstance(entry, list) and entry:
                    message = json.dumps(entry[0]).encode()
                    yield from self._celery_message(
                        message, "unacked", "celery-unacked"
                    )
                else:
                    self._count_job("celery-unacked")
                    yield from self._scan_unparsed(raw, _Context("unacked", "celery"))

    def _celery_message(self, raw: bytes, key: str, source: str) -> Iterator[Finding]:
        self._count_job(source)
        message = self._load_json(raw, source)
        if not isinstance(message, dict):
            yield from self._scan_unparsed(raw, _Context(key, source))
            return
        headers = (
            message.get("headers") if isinstance(message.get("headers"), dict) else {}
        )
        properties = message.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        body = message.get("body")
        body_bytes: bytes | None = None
        if isinstance(body, str):
            if properties.get("body_encoding") == "base64":
                try:
                    body_bytes = base64.b64decode(body, validate=False)
                except (binascii.Error, ValueError):
                    body_bytes = None
            else:
                body_bytes = body.encode("utf-8")
        content_type = str(message.get("content-type") or "application/json")
        decoded: Any = None
        if body_bytes is not None and content_type == "application/json":
            decoded = self._load_json(body_bytes, source)
        task = headers.get("task") or (
            decoded.get("task") if isinstance(decoded, dict) else ""
        )
        task_id = headers.get("id") or (
            decoded.get("id") if isinstance(decoded, dict) else ""
        )
        ctx = _Context(
            key,
            source,
            self._label(str(task or ""), remember=True),
            self._label(str(task_id or "")),
        )
        rest = {k: v for k, v in message.items() if k != "body"}
        yield from self._walk_value(rest, "", None, ctx, 0)
        if body_bytes is None:
            return
        if content_type == "application/json":
            if decoded is None:
                yield from self._scan_unparsed(body_bytes, ctx, "body")
            elif (
                isinstance(decoded, list)
                and len(decoded) == 3
                and isinstance(decoded[0], list)
                and isinstance(decoded[1], dict)
            ):
                # Task protocol 2: [args, kwargs, embed].
                for root, part in zip(
                    ("args", "kwargs", "embed"), decoded, strict=True
                ):
                    yield from self._walk_value(part, root, None, ctx, 0)
            else:
                yield from self._walk_value(decoded, "body", None, ctx, 0)
        elif content_type == "application/x-python-serialize":
            yield from self._scan_pickle(body_bytes, "body", ctx)
        else:
            self.stats.bump(
                self.stats.uninspected, f"{source}:{safe_label(content_type)}"
            )

    # -- shared walking ----------------------------------------------------------

    def _count_job(self, source: str) -> None:
        max_jobs = self.options.max_jobs
        if max_jobs is not None and self.stats.jobs_scanned >= max_jobs:
            raise _StopScan
        self.stats.jobs_scanned += 1
        self.stats.bump(self.stats.by_source, source)
        self._report_progress()

    def _report_progress(self, final: bool = False) -> None:
        if self.progress is None:
            return
        done = self.stats.jobs_scanned
        if final or done % 500 == 0:
            self.progress(done, max(self._expected, done))

    def _load_json(self, raw: bytes, source: str) -> Any:
        if len(raw) > self.options.max_entry_bytes:
            self.stats.bump(self.stats.uninspected, f"{source}:oversize")
            return None
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            self.stats.bump(self.stats.uninspected, f"{source}:not-json")
            return None

    def _scan_unparsed(
        self, raw: bytes, ctx: _Context, path: str = "<raw>"
    ) -> Iterator[Finding]:
        text = raw[: self.options.max_entry_bytes].decode("utf-8", "replace")
        yield from self._scan_text(text, path, None, ctx)

    def _walk_value(
        self, value: Any, path: str, field_name: str | None, ctx: _Context, depth: int
    ) -> Iterator[Finding]:
        if depth > self.options.max_depth:
            self.stats.bump(self.stats.uninspected, f"{ctx.source}:too-deep")
            return
        version = envelope_version(value)
        if version is not None:
            # Encrypted argument: count it by key version, never flag it.
            self.stats.bump(self.stats.by_key_version, str(version))
            return
        if isinstance(value, dict):
            for raw_name, item in value.items():
                name = str(raw_name)
                segment = yield from self._path_segment(name, path, ctx)
                yield from self._walk_value(item, segment, name, ctx, depth + 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from self._walk_value(
                    item, f"{path}[{index}]", field_name, ctx, depth + 1
                )
        elif isinstance(value, str):
            nested = _nested_json(value, self.options.max_value_chars)
            if nested is not None:
                yield from self._walk_value(
                    nested, f"{path}<json>", field_name, ctx, depth + 1
                )
            else:
                yield from self._scan_text(value, path, field_name, ctx)
        elif _long_int(value):
            yield from self._scan_text(str(value), path, field_name, ctx)

    def _path_segment(
        self, name: str, path: str, ctx: _Context
    ) -> Generator[Finding, None, str]:
        # A dict key is data too: report what it holds and keep it out of paths.
        # Field names repeat across jobs, so clean ones are remembered.
        cached = self._clean_names.get(name)
        if cached is not None:
            return f"{path}.{cached}" if path and cached[0] != "[" else path + cached
        hits = self.detectors.scan(name)
        if hits:
            where = f"{path}.<key>" if path else "<key>"
            for hit in hits:
                yield from self._emit(hit.detector, hit.value, where, ctx)
            return f"{path}.<key:{self.fingerprint(name)}>"
        label = safe_label(name, 60)
        segment = label if label.isidentifier() else f"[{json.dumps(label)}]"
        if len(self._clean_names) >= _NAME_CACHE_SIZE:
            self._clean_names.clear()
        self._clean_names[name] = segment
        return f"{path}.{segment}" if path and segment[0] != "[" else path + segment

    def _scan_text(
        self, text: str, path: str, field_name: str | None, ctx: _Context
    ) -> Iterator[Finding]:
        if len(text) > self.options.max_value_chars:
            self.stats.bump(self.stats.uninspected, f"{ctx.source}:value-truncated")
            text = text[: self.options.max_value_chars]
        for hit in self.detectors.scan(text, field_name):
            yield from self._emit(hit.detector, hit.value, path, ctx)

    def _emit(
        self, detector: str, value: str, path: str, ctx: _Context
    ) -> Iterator[Finding]:
        fingerprint = self.fingerprint(value)
        if self.allow.allows(fingerprint, ctx.key, path):
            self.stats.allowed += 1
            return
        self.stats.findings_total += 1
        self.stats.bump(self.stats.by_detector, detector)
        yield Finding(
            control="DATA-01",
            detector=detector,
            title=DETECTORS[detector].title,
            key=ctx.key,
            source=ctx.source,
            job_class=ctx.job_class,
            jid=ctx.jid,
            path=path,
            fingerprint=fingerprint,
        )

    def _label(self, text: str, remember: bool = False) -> str:
        """A data-derived label, replaced by its fingerprint if it holds a secret."""
        cached = self._clean_labels.get(text)
        if cached is not None:
            return cached
        # Labels are shown in full, so digits glued to letters count too.
        if text and (self.detectors.scan(text) or card_digit_runs(text)):
            return f"<redacted {self.fingerprint(text)}>"
        label = safe_label(text)
        if remember:  # job classes and queues repeat; job IDs do not
            if len(self._clean_labels) >= _NAME_CACHE_SIZE:
                self._clean_labels.clear()
            self._clean_labels[text] = label
        return label

    def _key_name_findings(self, key: str, source: str) -> Iterator[Finding]:
        ctx = _Context(f"<key {self.fingerprint(key)}>", source)
        for hit in self.detectors.scan(key):
            yield from self._emit(hit.detector, hit.value, "<key name>", ctx)

    # -- DATA-03 -------------------------------------------------------------------

    def _retention_findings(self) -> Iterator[Finding]:
        prefix = (
            f"{self.options.sidekiq_namespace}:"
            if self.options.sidekiq_namespace
            else ""
        )
        for name, figures in sorted(self.stats.retention.items()):
            max_size = getattr(self.thresholds, f"{name}_max_size")
            max_age = getattr(self.thresholds, f"{name}_max_age")
            if figures.size > max_size:
                yield self._retention_finding(
                    f"{name}_set_size",
                    f"{prefix}{name}",
                    f"The {name} set holds {figures.size} jobs, above the limit of "
                    f"{max_size}.",
                )
            if figures.oldest is not None:
                age = self._now - figures.oldest
                if age > max_age:
                    yield self._retention_finding(
                        f"{name}_set_age",
                        f"{prefix}{name}",
                        f"The oldest job in the {name} set is {age:.0f} s old, above "
                        f"the limit of {max_age} s.",
                    )

    def _retention_finding(self, rule: str, key: str, message: str) -> Finding:
        self.stats.findings_total += 1
        self.stats.bump(self.stats.by_detector, rule)
        return Finding(
            control="DATA-03",
            detector=rule,
            title=RETENTION_RULES[rule],
            key=key,
            source="sidekiq-" + rule.split("_", 1)[0],
            message=message,
        )


def _epoch_seconds(stamp: float) -> float:
    # Sidekiq 8 stores integer milliseconds, older versions float seconds.
    return stamp / 1000.0 if stamp > 1e11 else float(stamp)


def _long_int(value: object) -> bool:
    # Card numbers and SSNs are sometimes sent as integers; short ones are
    # counters and ids.
    return (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**8
    )


def _looks_like_field(text: str) -> bool:
    return 0 < len(text) <= 64 and text.replace("-", "_").isidentifier()


def _nested_json(value: str, limit: int) -> Any:
    """Decode a string that itself holds a JSON object or array, else None."""
    stripped = value.strip()
    if len(stripped) < 2 or len(stripped) > limit:
        return None
    if (stripped[0], stripped[-1]) not in (("{", "}"), ("[", "]")):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None
