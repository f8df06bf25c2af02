"""TLS-03: a replica reaches its primary over TLS with the role's files.

A throw-away redis-server on the Redis host becomes a replica of the hardened
server, once with tls-replication on (the link comes up and the data
arrives) and once with it off (the primary, which speaks TLS only, never
lets the link up). It runs as the redis user with no TCP port of its own.
"""

from __future__ import annotations

import time
import uuid

import pytest
from conftest import PORT, SERVER_TLS


def start_replica(lab, work: str, tls_replication: bool) -> None:
    password = lab.variables["redis_server_admin_password"]
    conf = "\n".join(
        [
            "port 0",
            f"unixsocket {work}/redis.sock",
            f"dir {work}",
            f"pidfile {work}/redis.pid",
            f"logfile {work}/redis.log",
            "daemonize yes",
            'save ""',
            "appendonly no",
            f"replicaof 127.0.0.1 {PORT}",
            "masteruser admin",
            f'masterauth "{password}"',
            f"tls-replication {'yes' if tls_replication else 'no'}",
            f"tls-cert-file {SERVER_TLS}/server.crt",
            f"tls-key-file {SERVER_TLS}/server.key",
            f"tls-ca-cert-file {SERVER_TLS}/ca.crt",
        ]
    )
    lab.redis.check_output(
        f"rm -rf {work} && install -d -o redis -g redis -m 0700 {work} "
        f"&& cat > {work}/redis.conf <<'EOF'\n{conf}\nEOF\n"
        f"chown redis:redis {work}/redis.conf && chmod 0600 {work}/redis.conf "
        f"&& runuser -u redis -- redis-server {work}/redis.conf"
    )


def link_status(lab, work: str) -> str:
    info = lab.redis.run(
        f"timeout 5 redis-cli -s {work}/redis.sock INFO replication"
    ).stdout
    for line in info.splitlines():
        if line.startswith("master_link_status:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


@pytest.fixture
def replica(lab):
    works = []

    def start(tls_replication: bool) -> str:
        work = f"/tmp/tls03-replica-{uuid.uuid4().hex[:8]}"
        works.append(work)
        start_replica(lab, work, tls_replication)
        return work

    yield start
    for work in works:
        lab.redis.run(
            f"timeout 5 redis-cli -s {work}/redis.sock SHUTDOWN NOSAVE; rm -rf {work}"
        )


def test_TLS_03_the_server_replicates_over_tls(lab):
    assert lab.admin("CONFIG", "GET", "tls-replication").split() == [
        "tls-replication",
        "yes",
    ]


def test_TLS_03_a_tls_replica_links_and_receives_the_data(lab, replica):
    token = uuid.uuid4().hex
    assert lab.admin("SET", "tls03:probe", token) == "OK"
    try:
        work = replica(tls_replication=True)
        deadline = time.monotonic() + 30
        while link_status(lab, work) != "up" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert link_status(lab, work) == "up", lab.redis.run(
            f"tail -20 {work}/redis.log"
        ).stdout
        got = lab.redis.check_output(
            f"timeout 5 redis-cli -s {work}/redis.sock GET tls03:probe"
        )
        assert got == token
    finally:
        lab.admin("DEL", "tls03:probe")


def test_TLS_03_a_plaintext_replica_never_links(lab, replica):
    work = replica(tls_replication=False)
    time.sleep(8)
    assert link_status(lab, work) != "up"
