"""Fixtures for the job scanner tests: import path, Redis backends, corpus.

The collection is imported through ``<repo>/.collections/ansible_collections/
jobqueue/redis_hardening``, a symlink to the repository root that is created
here when missing (it is git-ignored local state).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
COLLECTIONS = REPO_ROOT / ".collections"
LINK = COLLECTIONS / "ansible_collections" / "jobqueue" / "redis_hardening"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(REPO_ROOT, target_is_directory=True)
for entry in (str(COLLECTIONS), str(HERE)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from jobscan_corpus import FakeRedis


def start_redis_server(
    workdir: Path, *extra: str
) -> tuple[subprocess.Popen[bytes], str]:
    """Start redis-server on a unix socket only (no TCP port); skip if absent."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    sock = workdir / "redis.sock"
    proc = subprocess.Popen(
        [
            binary,
            "--port", "0",
            "--unixsocket", str(sock),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(workdir),
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if sock.exists():
            try:
                with socket.socket(socket.AF_UNIX) as probe:
                    probe.connect(str(sock))
                return proc, str(sock)
            except OSError:
                pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not open its socket within 10 s")


@pytest.fixture(scope="session")
def redis_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a unix socket, stopped after the session."""
    proc, sock = start_redis_server(tmp_path_factory.mktemp("redis"))
    try:
        yield sock
    finally:
        stop_redis_server(proc)


def stop_redis_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def real_redis(redis_socket: str) -> Iterator[object]:
    redis = pytest.importorskip("redis")
    client = redis.Redis(unix_socket_path=redis_socket)
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(params=["fake", "real"])
def backend(request: pytest.FixtureRequest) -> object:
    """The same tests against the recording fake and a real redis-server."""
    if request.param == "fake":
        return FakeRedis()
    return request.getfixturevalue("real_redis")


@pytest.fixture
def fake_redis() -> FakeRedis:
    return FakeRedis()


@pytest.fixture(autouse=True)
def _no_redis_password_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI reads REDIS_PASSWORD; a developer's own must not leak into tests.
    monkeypatch.delenv("REDIS_PASSWORD", raising=False)
    monkeypatch.delenv("JOB_SCAN_FINGERPRINT_KEY", raising=False)
    os.environ.pop("REDIS_URL", None)
