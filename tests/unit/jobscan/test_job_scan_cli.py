"""The redis-job-scan command: outputs, exit codes, credentials, progress."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils import (
    job_scan_cli as cli,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.job_scan import (
    REQUIRED_COMMANDS,
)
from conftest import start_redis_server, stop_redis_server
from jobscan_corpus import clean_sidekiq_jobs, seed_corpus, sidekiq_job
from test_job_scan import KEYRING, assert_never_printed

# A password with every kind of printable character, spaces and quotes too.
SCANNER_PASSWORD = "s c@n:ner/P4ss!\"#$%&'()*+,-.;<=>?[\\]^_`{|}~"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(argv: list[str], stdin: str = "", tty: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), Tty() if tty else io.StringIO()
    code = cli.main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def socket_url(real_redis: Any, redis_socket: str) -> str:
    return f"unix://{redis_socket}"


@pytest.fixture(scope="module")
def acl_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server whose only usable user has the scanner's read profile."""
    redis = pytest.importorskip("redis")
    proc, sock = start_redis_server(tmp_path_factory.mktemp("acl"))
    admin = redis.Redis(unix_socket_path=sock)
    try:
        for raw in clean_sidekiq_jobs(3):
            admin.rpush("queue:default", raw)
        admin.rpush("queue:default", sidekiq_job("X", ["jane@example.org"], "j" * 24))
        rules = ["+" + command for command in REQUIRED_COMMANDS]
        admin.execute_command(
            "ACL", "SETUSER", "scanner", "on", ">" + SCANNER_PASSWORD, "~*",
            "resetchannels", "-@all", *rules,
        )  # fmt: skip
        admin.zadd("retry", {sidekiq_job("Y", [1], "k" * 24): 1.0})
        # Same profile without ZRANGE: the retry set cannot be read.
        narrow = [rule for rule in rules if rule != "+zrange"]
        admin.execute_command(
            "ACL", "SETUSER", "narrow", "on", ">" + SCANNER_PASSWORD, "~*",
            "resetchannels", "-@all", *narrow,
        )  # fmt: skip
        admin.execute_command("ACL", "SETUSER", "default", "off")
        admin.close()
        yield sock
    finally:
        stop_redis_server(proc)


def test_data01_cli_formats_report_without_values(
    socket_url: str, real_redis: Any
) -> None:
    planted = seed_corpus(real_redis, KEYRING)
    outputs = []
    for fmt in ("table", "json", "sarif"):
        code, out, err = run([socket_url, "--format", fmt, "--progress", "never"])
        assert code == cli.EXIT_FINDINGS, err
        assert err == ""
        outputs.append(out)
    assert_never_printed(planted, *outputs)
    report = json.loads(outputs[1])
    assert report["summary"]["by_key_version"] == {"1": 1, "2": 1}
    assert report["summary"]["target"] == socket_url
    sarif = json.loads(outputs[2])
    assert sarif["version"] == "2.1.0"
    run0 = sarif["runs"][0]
    rule_ids = [rule["id"] for rule in run0["tool"]["driver"]["rules"]]
    assert len(run0["results"]) == len(report["findings"])
    for result in run0["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]


def test_data01_cli_exit_codes_follow_fail_on(socket_url: str, real_redis: Any) -> None:
    for raw in clean_sidekiq_jobs(4):
        real_redis.rpush("queue:default", raw)
    assert run([socket_url])[0] == cli.EXIT_CLEAN
    real_redis.rpush("queue:default", sidekiq_job("X", ["jane@example.org"], "1" * 24))
    assert run([socket_url])[0] == cli.EXIT_FINDINGS
    assert run([socket_url, "--fail-on", "none"])[0] == cli.EXIT_CLEAN
    assert run([socket_url, "--fail-on", "retention"])[0] == cli.EXIT_CLEAN
    assert run([socket_url, "--disable", "email"])[0] == cli.EXIT_CLEAN
    for raw in clean_sidekiq_jobs(3, start=50):
        real_redis.zadd("dead", {raw: 1.0})
    code, out, _ = run([socket_url, "--fail-on", "retention", "--dead-max-size", "2"])
    assert code == cli.EXIT_FINDINGS and "dead_set_size" in out


def test_data01_cli_usage_errors_exit_2() -> None:
    assert run(["--format", "xml"])[0] == cli.EXIT_USAGE
    code, _, err = run(["redis://127.0.0.1:1/0", "--enable", "nope"])
    assert code == cli.EXIT_USAGE and "unknown detector" in err
    code, _, err = run(["redis://127.0.0.1:1/0", "--tls-insecure"])
    assert code == cli.EXIT_USAGE and "rediss://" in err
    code, _, err = run(["http://127.0.0.1/"])
    assert code == cli.EXIT_USAGE and "scheme" in err
    assert run(["--help"])[0] == cli.EXIT_CLEAN


def test_data01_cli_unreachable_server_exits_3_in_one_sentence(tmp_path: Path) -> None:
    code, out, err = run([f"unix://{tmp_path}/absent.sock"])
    assert code == cli.EXIT_REDIS and out == ""
    assert err.startswith("redis-job-scan: Could not connect to Redis at unix://")
    assert err.count("\n") == 1


def test_data01_cli_acl_profile_suffices_and_password_is_never_echoed(
    acl_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_PASSWORD", SCANNER_PASSWORD)
    url = f"unix://scanner@{acl_redis}"
    code, out, err = run([url, "--format", "json"])
    assert code == cli.EXIT_FINDINGS, err
    assert json.loads(out)["summary"]["jobs_scanned"] == 5
    monkeypatch.setenv("REDIS_PASSWORD", SCANNER_PASSWORD + "x")
    code, out, err = run([url, "--format", "json"])
    assert code == cli.EXIT_REDIS
    assert "rejected the credentials of user scanner" in err
    for text in (out, err):
        assert SCANNER_PASSWORD not in text and "P4ss" not in text


def test_data01_cli_reports_missing_acl_permission(
    acl_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_PASSWORD", SCANNER_PASSWORD)
    code, out, err = run([f"unix://narrow@{acl_redis}"])
    assert code == cli.EXIT_REDIS and out == ""
    assert "The ACL of Redis user narrow" in err and "zrange" in err.lower()
    assert SCANNER_PASSWORD not in err


def test_data01_cli_progress_only_on_a_terminal(
    socket_url: str, real_redis: Any
) -> None:
    for raw in clean_sidekiq_jobs(1200):
        real_redis.rpush("queue:default", raw)
    code, out, err = run([socket_url], tty=True)
    assert code == cli.EXIT_CLEAN
    assert "jobs/s" in err and "1200/1200" in err and err.endswith("\n")
    assert "jobs/s" not in out
    assert run([socket_url])[2] == ""


def test_data01_cli_fingerprint_matches_scan_and_feeds_allow_list(
    socket_url: str, real_redis: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_redis.rpush("queue:default", sidekiq_job("X", ["jane@example.org"], "1" * 24))
    assert run(["--fingerprint-stdin"], stdin="jane@example.org\n")[0] == 2
    monkeypatch.setenv("JOB_SCAN_FINGERPRINT_KEY", "team secret")
    code, fingerprint, _ = run(["--fingerprint-stdin"], stdin="jane@example.org\n")
    assert code == 0 and fingerprint.startswith("fp:")
    code, out, _ = run([socket_url, "--format", "json"])
    (finding,) = json.loads(out)["findings"]
    assert finding["fingerprint"] == fingerprint.strip()
    allowed = [socket_url, "--allow-fingerprint", fingerprint.strip()]
    assert run(allowed)[0] == cli.EXIT_CLEAN


def test_data01_cli_writes_output_file(
    socket_url: str, real_redis: Any, tmp_path: Path
) -> None:
    real_redis.rpush("queue:default", sidekiq_job("X", ["jane@example.org"], "1" * 24))
    target = tmp_path / "scan.sarif"
    code, out, _ = run([socket_url, "--format", "sarif", "-o", str(target)])
    assert code == cli.EXIT_FINDINGS and out == ""
    assert json.loads(target.read_text())["runs"][0]["results"][0]["ruleId"] == "email"


def test_data01_cli_list_detectors() -> None:
    code, out, _ = run(["--list-detectors"])
    assert code == 0 and "card_number\t" in out and "uk_nino\t" in out


def test_data01_describe_target_hides_credentials() -> None:
    url = "rediss://user:pa%40ss@redis.example:6380/2"
    assert cli.describe_target(url) == "rediss://redis.example:6380/2"
