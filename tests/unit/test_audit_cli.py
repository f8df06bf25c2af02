"""The redis-hardening-audit command against private redis-server processes.

Each server listens on a unix socket in a temporary directory only (port 0),
so nothing leaves the machine. The reports are parsed back (JSON, JUnit XML
with xml.etree) and checked for structure, statuses and secrets.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils import (
    audit_cli,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.catalogue import (
    CONTROL_IDS,
)

ADMIN_PASSWORD = "cli-test admin pw 0123456789 $!#'\"\\ end"
APP_PASSWORD = "cli-test app pw 9876543210 xyzzy"


def _start(workdir: Path, *extra: str) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make setup`")
    sock = workdir / "redis.sock"
    proc = subprocess.Popen(
        [
            binary,
            "--port", "0",
            "--unixsocket", str(sock),
            "--unixsocketperm", "700",
            "--save", "",
            "--dir", str(workdir),
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(sock))
            return proc, str(sock)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not open its socket within 10 s")


@pytest.fixture(scope="module")
def open_server(tmp_path_factory) -> Iterator[str]:
    """Stock defaults: the default user on, no password."""
    proc, sock = _start(tmp_path_factory.mktemp("open"))
    yield sock
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def acl_server(tmp_path_factory) -> Iterator[str]:
    """Default user off, an admin and a restricted app user."""
    workdir = tmp_path_factory.mktemp("acl")
    proc, sock = _start(workdir)
    import redis

    client = redis.Redis(unix_socket_path=sock)
    client.execute_command(
        "ACL", "SETUSER", "admin", "on", f">{ADMIN_PASSWORD}", "~*", "&*", "+@all"
    )
    client.execute_command(
        "ACL", "SETUSER", "app", "on", f">{APP_PASSWORD}", "~*", "+@all", "-@dangerous"
    )
    client.execute_command("ACL", "SETUSER", "default", "off", "-@all")
    client.close()
    yield sock
    proc.terminate()
    proc.wait(10)


def _run(capsys, monkeypatch, *argv: str, password: str | None = None):
    if password is None:
        monkeypatch.delenv("REDIS_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("REDIS_PASSWORD", password)
    code = audit_cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_open_server_fails_auth_01_and_exits_1(open_server, capsys, monkeypatch):
    code, out, _ = _run(
        capsys, monkeypatch, f"unix://{open_server}", "--remote", "--format", "json"
    )
    report = json.loads(out)
    statuses = {c["id"]: c["status"] for c in report["controls"]}
    assert [c["id"] for c in report["controls"]] == list(CONTROL_IDS)
    assert statuses["AUTH-01"] == "fail"
    assert statuses["CMD-02"] == "pass"  # Redis defaults keep them off
    for local_only in ("FS-01", "FS-02", "FS-03"):
        assert statuses[local_only] == "not evaluated"
    assert report["local"] is False and report["package"] is None
    assert code == audit_cli.EXIT_FAILED


def test_fail_on_sets_the_exit_code(open_server, capsys, monkeypatch):
    url = f"unix://{open_server}"
    assert _run(capsys, monkeypatch, url, "--remote", "--fail-on", "none")[0] == 0
    assert _run(capsys, monkeypatch, url, "--remote", "--fail-on", "critical")[0] == 1


def test_waiver_needs_a_known_control_and_a_reason(open_server, capsys, monkeypatch):
    url = f"unix://{open_server}"
    with pytest.raises(SystemExit) as exc:
        audit_cli.main([url, "--waive", "NOPE-01=because"])
    assert exc.value.code == audit_cli.EXIT_USAGE
    _code, out, _ = _run(
        capsys,
        monkeypatch,
        url,
        "--remote",
        "--format",
        "json",
        "--waive",
        "LOG-01=logs go to journald",
        "--fail-on",
        "none",
    )
    ops = {c["id"]: c for c in json.loads(out)["controls"]}["LOG-01"]
    assert ops["status"] == "waived" and "journald" in ops["detail"]


def test_junit_has_one_testcase_per_control(acl_server, capsys, monkeypatch):
    code, out, _ = _run(
        capsys,
        monkeypatch,
        f"unix://admin@{acl_server}",
        "--remote",
        "--format",
        "junit",
        "--admin-user",
        "admin",
        password=ADMIN_PASSWORD,
    )
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    (suite,) = list(root)
    assert suite.tag == "testsuite"
    cases = suite.findall("testcase")
    assert [c.get("name").split()[0] for c in cases] == list(CONTROL_IDS)
    assert int(suite.get("tests")) == len(cases)
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    errors = [c for c in cases if c.find("error") is not None]
    assert int(suite.get("failures")) == len(failures)
    assert int(suite.get("skipped")) == len(skipped)
    assert int(suite.get("errors")) == len(errors) == 0
    by_id = {c.get("name").split()[0]: c for c in cases}
    assert by_id["AUTH-01"].find("failure") is None  # default user is off
    # The app user may still run KEYS, MONITOR, ... (-@dangerous keeps some).
    for case in failures:
        failure = case.find("failure")
        assert failure.get("message")
        assert "fix: " in failure.text
        assert failure.get("type") in ("low", "medium", "high", "critical")
    # Not evaluated (and the remote PATCH-01 "unknown") are skipped.
    assert by_id["FS-01"].find("skipped").get("message").startswith("not evaluated")
    assert by_id["TLS-05"].find("skipped") is not None
    assert by_id["PATCH-01"].find("skipped").get("message").startswith("unknown")
    assert code in (0, 1)


@pytest.mark.parametrize("fmt", ["table", "json", "junit"])
def test_reports_never_print_a_password(acl_server, capsys, monkeypatch, fmt):
    for url, env in (
        (f"unix://admin@{acl_server}", ADMIN_PASSWORD),
        (f"unix://admin:{quote(ADMIN_PASSWORD, safe='')}@{acl_server}", None),
    ):
        code, out, err = _run(
            capsys, monkeypatch, url, "--remote", "--format", fmt, password=env
        )
        assert code in (0, 1), err
        for secret in (ADMIN_PASSWORD, APP_PASSWORD, quote(ADMIN_PASSWORD, safe="")):
            assert secret not in out + err


def test_wrong_password_exits_3_without_echoing_it(acl_server, capsys, monkeypatch):
    code, out, err = _run(
        capsys,
        monkeypatch,
        f"unix://admin@{acl_server}",
        password="wrong password 42",
    )
    assert code == audit_cli.EXIT_REDIS
    assert "refused the credentials of admin" in err
    assert "wrong password 42" not in out + err


def test_no_credentials_against_acl_server_exits_3(acl_server, capsys, monkeypatch):
    code, _, err = _run(capsys, monkeypatch, f"unix://{acl_server}")
    assert code == audit_cli.EXIT_REDIS
    assert "needs credentials" in err


def test_unreachable_server_exits_3(tmp_path, capsys, monkeypatch):
    code, _, err = _run(capsys, monkeypatch, f"unix://{tmp_path}/absent.sock")
    assert code == audit_cli.EXIT_REDIS
    assert err.startswith(f"Could not audit Redis at unix://{tmp_path}/absent.sock")


def test_bad_scheme_and_tls_without_rediss_exit_2(capsys, monkeypatch):
    assert _run(capsys, monkeypatch, "http://127.0.0.1:6379")[0] == 2
    assert _run(capsys, monkeypatch, "redis://127.0.0.1:1", "--tls-insecure")[0] == 2


def test_local_scope_reads_files_and_the_package(acl_server, capsys, monkeypatch):
    _code, out, _ = _run(
        capsys,
        monkeypatch,
        f"unix://admin@{acl_server}",
        "--format",
        "json",
        password=ADMIN_PASSWORD,
    )
    report = json.loads(out)
    assert report["local"] is True
    statuses = {c["id"]: c["status"] for c in report["controls"]}
    # A private test server has no aclfile and no sandboxed unit.
    assert statuses["FS-02"] == "fail"
    assert report["package"]["manager"] in ("dpkg", "none")


def test_targets_are_described_without_credentials():
    assert (
        audit_cli.describe_target("rediss://u:secret@10.0.0.5:6380/2")
        == "rediss://10.0.0.5:6380/2"
    )
    assert audit_cli.without_credentials("redis://u:secret@[::1]:6379/0") == (
        "redis://[::1]:6379/0"
    )
    assert audit_cli.is_local("redis://localhost") and audit_cli.is_local("unix:///s")
    assert not audit_cli.is_local("redis://10.0.0.5")
