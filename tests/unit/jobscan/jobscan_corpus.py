"""A labelled corpus of synthetic jobs and a recording in-memory Redis.

Every planted value is synthetic: documented test card numbers, the AWS
documentation's example keys, IBANs from the ISO examples, made-up tokens.
Tokens with a vendor prefix are assembled at run time so that this file does
not itself look like a leaked credential to repository scanners.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import pickle
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# A password using every class of printable character, quotes included.
PRINTABLE_PASSWORD = "p@ss w0rd!\"#$%&'()*+,-./:;<=>?[\\]^_`{|}~"
CELERY_TOKEN = "T0k3n with spaces & 'quotes' \"double\" \\back"
GITHUB_TOKEN = "ghp" + "_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
SLACK_TOKEN = "xoxb" + "-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
STRIPE_KEY = "sk" + "_test_" + "4eC39HqLyjWDarjtT1zdp7dc"
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----"
)


def _b64url(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


JWT = ".".join(
    [
        _b64url({"alg": "HS256", "typ": "JWT"}),
        _b64url({"sub": "1234567890", "name": "Test User", "iat": 1516239022}),
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ]
)


@dataclass(frozen=True)
class Planted:
    """A value hidden in the corpus and where the scanner must report it."""

    detector: str
    value: str  # as written into the job
    normalised: str  # what the fingerprint is computed over
    key: str  # Redis key the finding must name
    path_suffix: str  # the finding's argument path must end with this


def jid(label: str) -> str:
    """A Sidekiq-style job ID (24 hex digits) that repeats no planted digits."""
    return hashlib.sha256(label.encode()).hexdigest()[:24]


# -- payload builders -------------------------------------------------------------


def sidekiq_job(job_class: str, args: list[Any], jid: str, **extra: Any) -> bytes:
    job = {
        "class": job_class,
        "args": args,
        "jid": jid,
        "retry": True,
        "queue": "default",
        "created_at": 1_717_171_717.123,
        "enqueued_at": 1_717_171_718.456,
    }
    job.update(extra)
    return json.dumps(job).encode()


def rq_job_hash(
    job_id: str,
    func: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    serializer: str = "pickle",
) -> dict[str, bytes]:
    """An RQ job hash as RQ writes it (data is a zlib-compressed payload)."""
    if serializer == "pickle":
        # Producing a pickle is safe; it is loading one that runs code.
        payload = pickle.dumps((func, None, args, kwargs), protocol=4)
    else:
        payload = json.dumps([func, None, list(args), kwargs]).encode()
    arg_text = ", ".join(
        [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    )
    return {
        "data": zlib.compress(payload),
        "description": f"{func}({arg_text})".encode(),
        "created_at": b"2024-06-01T10:00:00.000000Z",
        "enqueued_at": b"2024-06-01T10:00:00.100000Z",
        "origin": b"default",
        "status": b"queued",
        "timeout": b"180",
    }


def celery_message(
    task: str,
    task_id: str,
    args: list[Any],
    kwargs: dict[str, Any],
    serializer: str = "json",
) -> bytes:
    """A Kombu/Celery task message (protocol 2) as stored in a Redis list."""
    if serializer == "json":
        body = json.dumps([args, kwargs, {"callbacks": None, "chain": None}]).encode()
        content_type = "application/json"
    else:
        body = pickle.dumps((args, kwargs, {}), protocol=4)
        content_type = "application/x-python-serialize"
    message = {
        "body": base64.b64encode(body).decode(),
        "content-encoding": "utf-8" if serializer == "json" else "binary",
        "content-type": content_type,
        "headers": {
            "lang": "py",
            "task": task,
            "id": task_id,
            "retries": 0,
            "root_id": task_id,
            "origin": "gen123@app-1",
        },
        "properties": {
            "correlation_id": task_id,
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": "celery"},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": "4d4a1a58-9f3c-4f1e-a0d1-1f2e3d4c5b6a",
        },
    }
    return json.dumps(message).encode()


# -- the corpus --------------------------------------------------------------------


def clean_sidekiq_jobs(count: int, start: int = 0) -> Iterator[bytes]:
    """Realistic jobs without sensitive data (ids, amounts, dates, flags)."""
    for n in range(start, start + count):
        yield sidekiq_job(
            "ReportJob" if n % 2 else "Billing::InvoiceJob",
            [
                n,
                f"report-2024-06-{n % 28 + 1:02d}",
                {
                    "user_id": 1000 + n,
                    "order_number": 1_234_567_890 + n,
                    "amount_cents": 1999,
                    "currency": "EUR",
                    "token_type": "bearer",
                    "password_reset_required": False,
                    "password": "[FILTERED]",
                    "idempotency_key": "0f8fad5b-d9cb-469f-a165-70867728950e",
                    "callback_url": "https://app.example.invalid/hooks/42",
                },
            ],
            f"{n:024x}",
        )


def seed_corpus(client: Any, keyring: dict[int, bytes] | None = None) -> list[Planted]:
    """Write the labelled corpus into Redis and return the planted values."""
    from ansible_collections.jobqueue.redis_hardening.plugins.module_utils import (
        job_envelope,
    )

    planted: list[Planted] = []
    queue = "queue:default"

    def plant(detector: str, value: str, key: str, suffix: str, norm: str = "") -> None:
        planted.append(Planted(detector, value, norm or value, key, suffix))

    jobs = [
        sidekiq_job("PaymentJob", [1001, {"card": "4111111111111111"}], jid("a")),
        sidekiq_job("NotifyJob", ["jane.doe@example.org"], jid("b")),
        sidekiq_job(
            "S3SyncJob",
            [
                {
                    "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
                    "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                }
            ],
            jid("c"),
        ),
        sidekiq_job(
            "LoginJob", [{"user": "bob", "password": PRINTABLE_PASSWORD}], jid("d")
        ),
        sidekiq_job(
            "ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper",
            [
                {
                    "job_class": "RefundJob",
                    "arguments": [{"iban": "DE89 3704 0044 0532 0130 00"}],
                }
            ],
            jid("e"),
            wrapped="RefundJob",
        ),
        sidekiq_job("GithubSyncJob", ["org", GITHUB_TOKEN], jid("f")),
        sidekiq_job("ChargeJob", [378282246310005], jid("01")),
        sidekiq_job(
            "KycJob", [{"ssn": "536-22-1234", "nino": "AB 12 34 56 C"}], jid("02")
        ),
        sidekiq_job(
            "DbJob", ["postgres://app:Pa55-w0rd_x@db.internal:5432/app"], jid("03")
        ),
        sidekiq_job(
            "WebhookJob", [{"signature": "Zx9Qw3Er5Ty7Ui1Op2As4Df6Gh8Jk0Lm"}], jid("04")
        ),
        sidekiq_job("ImportJob", ['{"cc": "5555555555554444"}'], jid("05")),
    ]
    plant("card_number", "4111111111111111", queue, "args[1].card")
    plant("email", "jane.doe@example.org", queue, "args[0]")
    plant(
        "aws_access_key_id", "AKIAIOSFODNN7EXAMPLE", queue, "args[0].aws_access_key_id"
    )
    plant(
        "aws_secret_access_key",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        queue,
        "args[0].aws_secret_access_key",
    )
    plant("secret_field", PRINTABLE_PASSWORD, queue, "args[0].password")
    plant(
        "iban",
        "DE89 3704 0044 0532 0130 00",
        queue,
        "args[0].arguments[0].iban",
        "DE89370400440532013000",
    )
    plant("github_token", GITHUB_TOKEN, queue, "args[1]")
    plant("card_number", "378282246310005", queue, "args[0]")
    plant("us_ssn", "536-22-1234", queue, "args[0].ssn", "536221234")
    plant("uk_nino", "AB 12 34 56 C", queue, "args[0].nino", "AB123456C")
    plant("url_credentials", "Pa55-w0rd_x", queue, "args[0]")
    plant(
        "high_entropy_key",
        "Zx9Qw3Er5Ty7Ui1Op2As4Df6Gh8Jk0Lm",
        queue,
        "args[0].signature",
    )
    plant("card_number", "5555555555554444", queue, "args[0]<json>.cc")
    for raw in jobs:
        client.rpush(queue, raw)
    for raw in clean_sidekiq_jobs(5):
        client.rpush(queue, raw)
    for raw in clean_sidekiq_jobs(3, start=100):
        client.rpush("queue:mailers", raw)

    # Scheduled, retry and dead sets (score: run-at, retry-at, died-at).
    client.zadd("schedule", {sidekiq_job("SlackJob", [SLACK_TOKEN], jid("1")): 1.9e9})
    plant("slack_token", SLACK_TOKEN, "schedule", "args[0]")
    retry_job = sidekiq_job(
        "StripeJob",
        [{"customer": "cus_123", "api_key": STRIPE_KEY}],
        jid("2"),
        error_message="Stripe::AuthenticationError",
        failed_at=1_717_000_000.0,
        retry_count=3,
    )
    client.zadd("retry", {retry_job: 1_717_200_000.0})
    plant("stripe_key", STRIPE_KEY, "retry", "args[0].api_key")
    for raw in clean_sidekiq_jobs(2, start=200):
        client.zadd("retry", {raw: 1_717_300_000.0})
    client.zadd(
        "dead",
        {
            sidekiq_job("KeyJob", [PRIVATE_KEY], jid("3")): 1_717_100_000.0,
            sidekiq_job("JwtJob", [{"session": JWT}], jid("4")): 1_717_100_001.0,
        },
    )
    plant("private_key", PRIVATE_KEY, "dead", "args[0]")
    plant("jwt", JWT, "dead", "args[0].session")

    # Jobs whose last argument is an encrypted envelope: counted, not flagged.
    if keyring is not None:
        for version in sorted(keyring):
            job = json.loads(
                sidekiq_job(
                    "PayJob", [7, {"card": "4000056655665556"}], jid(f"v{version}")
                )
            )
            sealed = job_envelope.encrypt_job(job, keyring, version)
            client.rpush("queue:payments", json.dumps(sealed).encode())

    # RQ: pickled and JSON-serialised jobs plus their queue list.
    rq_pickled = rq_job_hash(
        "9f1c2d3e-0000-4000-8000-000000000001",
        "billing.charge",
        ("5105105105105100",),
        {"api_key": "k3y-Value-With:colons/and spaces"},
    )
    client.hset("rq:job:9f1c2d3e-0000-4000-8000-000000000001", mapping=rq_pickled)
    plant("card_number", "5105105105105100", "rq:job:", "")
    plant("secret_field", "k3y-Value-With:colons/and spaces", "rq:job:", "")
    rq_json = rq_job_hash(
        "9f1c2d3e-0000-4000-8000-000000000002",
        "mail.send",
        ("john.roe@example.net",),
        {},
        serializer="json",
    )
    client.hset("rq:job:9f1c2d3e-0000-4000-8000-000000000002", mapping=rq_json)
    plant("email", "john.roe@example.net", "rq:job:", "")
    for n in range(3):
        job_id = f"9f1c2d3e-0000-4000-8000-00000000010{n}"
        clean = rq_job_hash(job_id, "reports.build", (n, "monthly"), {"format": "pdf"})
        client.hset(f"rq:job:{job_id}", mapping=clean)
        client.rpush("rq:queue:default", job_id.encode())
    client.sadd("rq:job:9f1c2d3e-0000-4000-8000-000000000100:dependents", b"x")

    # Celery: default queue, a bound queue, a priority sub-queue, unacked.
    client.rpush(
        "celery",
        celery_message(
            "tasks.sync",
            "c0000000-0000-4000-8000-000000000001",
            [1],
            {"token": CELERY_TOKEN},
        ),
    )
    plant("secret_field", CELERY_TOKEN, "celery", "kwargs.token")
    client.rpush(
        "celery",
        celery_message(
            "tasks.payout",
            "c0000000-0000-4000-8000-000000000002",
            ["GB82WEST12345698765432"],
            {},
            serializer="pickle",
        ),
    )
    plant("iban", "GB82WEST12345698765432", "celery", "")
    client.sadd("_kombu.binding.celery", b"billing\x06\x16\x06\x16billing")
    client.rpush(
        "billing\x06\x163",
        celery_message(
            "tasks.kyc", "c0000000-0000-4000-8000-000000000003", ["219-45-6789"], {}
        ),
    )
    plant("us_ssn", "219-45-6789", "billing:priority:3", "args[0]", "219456789")
    for n in range(3):
        client.rpush(
            "billing",
            celery_message(
                "tasks.report",
                f"c0000000-0000-4000-8000-00000000020{n}",
                [n],
                {"fmt": "csv"},
            ),
        )
    unacked = [
        json.loads(
            celery_message(
                "tasks.capture",
                "c0000000-0000-4000-8000-000000000004",
                ["6011111111111117"],
                {},
            )
        ),
        "",
        "celery",
    ]
    client.hset("unacked", "tag-1", json.dumps(unacked).encode())
    plant("card_number", "6011111111111117", "unacked", "args[0]")
    return planted


# -- a recording in-memory Redis ------------------------------------------------------


class FakeRedis:
    """The subset of redis-py the scanner and the tests use, recording reads.

    Writes exist only to seed data; ``calls`` lists every read command so the
    tests can prove the scanner stays read-only and pages its reads.
    """

    READS = frozenset(
        {"ping", "scan", "type", "llen", "lrange", "zcard", "zrange", "hgetall",
         "hscan", "sscan"}
    )  # fmt: skip

    def __init__(self) -> None:
        self.data: dict[bytes, tuple[str, Any]] = {}
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    @staticmethod
    def _b(value: Any) -> bytes:
        if isinstance(value, bytes):
            return value
        return str(value).encode()

    def _get(self, name: Any, kind: str, default: Any) -> Any:
        entry = self.data.get(self._b(name))
        if entry is None:
            return default
        if entry[0] != kind:
            raise TypeError("WRONGTYPE")
        return entry[1]

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"FakeRedis does not implement {name}")

    # writes (seeding only)
    def rpush(self, name: Any, *values: Any) -> int:
        items = self._get(name, "list", [])
        items.extend(self._b(v) for v in values)
        self.data[self._b(name)] = ("list", items)
        return len(items)

    def zadd(self, name: Any, mapping: dict[Any, float]) -> int:
        members = self._get(name, "zset", {})
        for member, score in mapping.items():
            members[self._b(member)] = float(score)
        self.data[self._b(name)] = ("zset", members)
        return len(mapping)

    def hset(
        self, name: Any, key: Any = None, value: Any = None, mapping: Any = None
    ) -> int:
        fields = self._get(name, "hash", {})
        if key is not None:
            fields[self._b(key)] = self._b(value)
        for k, v in (mapping or {}).items():
            fields[self._b(k)] = self._b(v)
        self.data[self._b(name)] = ("hash", fields)
        return 1

    def sadd(self, name: Any, *values: Any) -> int:
        members = self._get(name, "set", set())
        members.update(self._b(v) for v in values)
        self.data[self._b(name)] = ("set", members)
        return len(values)

    def flushdb(self) -> bool:
        self.data.clear()
        return True

    # reads
    def ping(self) -> bool:
        self.calls.append(("ping", ()))
        return True

    def scan_iter(self, match: Any = None, count: int | None = None) -> Iterator[bytes]:
        pattern = self._b(match or "*")
        names = sorted(self.data)
        step = count or 10
        for start in range(0, len(names), step):
            self.calls.append(("scan", (start, pattern, step)))
            for name in names[start : start + step]:
                if fnmatch.fnmatchcase(
                    name.decode("latin-1"), pattern.decode("latin-1")
                ):
                    yield name

    def type(self, name: Any) -> bytes:
        self.calls.append(("type", (name,)))
        entry = self.data.get(self._b(name))
        return b"none" if entry is None else entry[0].encode()

    def llen(self, name: Any) -> int:
        self.calls.append(("llen", (name,)))
        return len(self._get(name, "list", []))

    def lrange(self, name: Any, start: int, end: int) -> list[bytes]:
        self.calls.append(("lrange", (name, start, end)))
        return list(self._get(name, "list", [])[start : end + 1])

    def zcard(self, name: Any) -> int:
        self.calls.append(("zcard", (name,)))
        return len(self._get(name, "zset", {}))

    def zrange(
        self, name: Any, start: int, end: int, withscores: bool = False
    ) -> list[Any]:
        self.calls.append(("zrange", (name, start, end)))
        members = self._get(name, "zset", {})
        ordered = sorted(members.items(), key=lambda item: (item[1], item[0]))
        page = ordered[start : end + 1]
        return page if withscores else [m for m, _ in page]

    def hgetall(self, name: Any) -> dict[bytes, bytes]:
        self.calls.append(("hgetall", (name,)))
        return dict(self._get(name, "hash", {}))

    def hscan_iter(
        self, name: Any, count: int | None = None
    ) -> Iterator[tuple[bytes, bytes]]:
        items = sorted(self._get(name, "hash", {}).items())
        step = count or 10
        for start in range(0, len(items), step):
            self.calls.append(("hscan", (name, start, step)))
            yield from items[start : start + step]

    def sscan_iter(self, name: Any, count: int | None = None) -> Iterator[bytes]:
        members = sorted(self._get(name, "set", set()))
        step = count or 10
        for start in range(0, len(members), step):
            self.calls.append(("sscan", (name, start, step)))
            yield from members[start : start + step]
