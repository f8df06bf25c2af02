"""TLS-03: a replica made from the hardened config reaches its primary over TLS.

A throw-away redis-server on the Redis host starts from the role's own
redis.conf (so its tls-replication and certificate settings are the role's),
with no TCP port, a private socket and directory, and a replicaof line. It
must link up and receive the data. The same replica with tls-replication
switched off must run and never link: the primary speaks TLS only (NET-04).
"""

from __future__ import annotations

import time
import uuid

import pytest
from conftest import PORT, redis_cli


def start_replica(lab, work: str, tls_replication: bool | None) -> None:
    """tls_replication None keeps the role's setting."""
    password = lab.variables["redis_server_admin_password"]
    lines = [
        "include /etc/redis/redis.conf",
        "port 0",
        "tls-port 0",
        f"unixsocket {work}/redis.sock",
        f"dir {work}",
        f"pidfile {work}/redis.pid",
        f"logfile {work}/redis.log",
        "supervised no",
        "daemonize yes",
        'save ""',
        "appendonly no",
        f"replicaof 127.0.0.1 {PORT}",
        "masteruser admin",
        f'masterauth "{password}"',
    ]
    if tls_replication is not None:
        lines.append(f"tls-replication {'yes' if tls_replication else 'no'}")
    conf = "\n".join(lines)
    lab.redis.check_output(
        f"rm -rf {work} && install -d -o redis -g redis -m 0700 {work} "
        f"&& cat > {work}/redis.conf <<'EOF'\n{conf}\nEOF\n"
        f"chown redis:redis {work}/redis.conf && chmod 0600 {work}/redis.conf "
        f"&& runuser -u redis -- redis-server {work}/redis.conf"
    )
    # Up: its socket answers, whether or not the link is.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if "PONG" in replica_cli(lab, work, "PING"):
            return
        time.sleep(0.3)
    log = lab.redis.run(f"tail -20 {work}/redis.log").stdout
    pytest.fail(f"the replica did not start:\n{log}")


def replica_cli(lab, work: str, *args: str) -> str:
    """A command to the replica as the administrator: it has the role's users."""
    return redis_cli(
        lab.redis,
        *args,
        socket=f"{work}/redis.sock",
        user="admin",
        password=lab.variables["redis_server_admin_password"],
    )


def link_status(lab, work: str) -> str:
    info = replica_cli(lab, work, "INFO", "replication")
    for line in info.splitlines():
        if line.startswith("master_link_status:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


@pytest.fixture
def replica(lab):
    works = []

    def start(tls_replication: bool | None) -> str:
        work = f"/tmp/tls03-replica-{uuid.uuid4().hex[:8]}"
        works.append(work)
        start_replica(lab, work, tls_replication)
        return work

    yield start
    for work in works:
        replica_cli(lab, work, "SHUTDOWN", "NOSAVE")
        lab.redis.run(f"rm -rf {work}")


def test_TLS_03_the_server_replicates_over_tls(lab):
    assert lab.admin("CONFIG", "GET", "tls-replication").split() == [
        "tls-replication",
        "yes",
    ]


def test_TLS_03_a_replica_with_the_roles_config_links_and_gets_the_data(lab, replica):
    token = uuid.uuid4().hex
    assert lab.admin("SET", "tls03:probe", token) == "OK"
    try:
        work = replica(tls_replication=None)
        deadline = time.monotonic() + 30
        while link_status(lab, work) != "up" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert link_status(lab, work) == "up", lab.redis.run(
            f"tail -20 {work}/redis.log"
        ).stdout
        got = replica_cli(lab, work, "GET", "tls03:probe")
        assert got == token
    finally:
        lab.admin("DEL", "tls03:probe")


def test_TLS_03_a_plaintext_replica_never_links(lab, replica):
    work = replica(tls_replication=False)
    time.sleep(8)
    assert link_status(lab, work) == "down"
