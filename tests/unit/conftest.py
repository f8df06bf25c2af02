"""Import path for the unit tests, and a private redis-server with an aclfile.

The collection is imported through ``<repo>/.collections/ansible_collections/
jobqueue/redis_hardening``, a git-ignored symlink to the repository root that
scripts/setup.sh makes (and this file makes when it is missing).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO_ROOT / ".collections"
LINK = COLLECTIONS / "ansible_collections" / "jobqueue" / "redis_hardening"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(REPO_ROOT, target_is_directory=True)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

ADMIN_PASSWORD = "unit-test admin password with spaces and $ymbols!"


class AclServer:
    """A throw-away redis-server on a unix socket, started with an aclfile."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        import hashlib

        self.workdir = workdir
        self.aclfile = workdir / "users.acl"
        self.socket = str(workdir / "redis.sock")
        digest = hashlib.sha256(ADMIN_PASSWORD.encode()).hexdigest()
        self.aclfile.write_text(
            f"user admin on #{digest} ~* &* +@all\n"
            "user default off resetchannels -@all\n"
        )
        self.proc = subprocess.Popen(
            [
                binary,
                "--port", "0",
                "--unixsocket", self.socket,
                "--unixsocketperm", "700",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(workdir),
                "--aclfile", str(self.aclfile),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.socket(socket.AF_UNIX) as probe:
                    probe.connect(self.socket)
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not open its socket within 10 s")

    def params(self) -> dict:
        return {
            "login_unix_socket": self.socket,
            "login_user": "admin",
            "login_password": ADMIN_PASSWORD,
        }

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def acl_server(tmp_path: Path) -> Iterator[AclServer]:
    """A fresh server per test: ACL tests change users and the aclfile."""
    server = AclServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()
