"""TLS-05: a job's argument does not cross the lab network in the clear.

tcpdump on the controller captures the scenario's bridge while the app's
Sidekiq client enqueues a job whose argument holds a unique marker, and the
worker performs it; the marker must not be in the capture. The control run
sends the same job to a plaintext Redis on the same host, captured the same
way: the marker must be found there, or the capture proves nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from conftest import PORT, wait_for_job

NETWORK = "rh-tls"
CONTROL_PORT = 6390


def bridge() -> str:
    name = subprocess.run(
        ["podman", "network", "inspect", NETWORK, "--format", "{{.NetworkInterface}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert name, f"no bridge for podman network {NETWORK}"
    return name


class Capture:
    """tcpdump on the lab bridge, for traffic to one port of one address."""

    def __init__(self, path: Path, address: str, port: int) -> None:
        self.path = path
        tcpdump = shutil.which("tcpdump") or "/usr/bin/tcpdump"
        self.proc = subprocess.Popen(
            [
                tcpdump,
                "-i",
                bridge(),
                "-U",
                "-s",
                "0",
                "-w",
                str(path),
                f"host {address} and tcp port {port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stderr.readline()
        assert "listening on" in line, line

    def stop(self) -> bytes:
        time.sleep(1)
        self.proc.terminate()
        self.proc.wait(timeout=10)
        return self.path.read_bytes()


def packets(path: Path) -> int:
    out = subprocess.run(
        ["tcpdump", "-nn", "-r", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return len(out.splitlines())


def enqueue(lab, marker: str, env: str) -> str:
    """Push one MarkerJob as the app user with `env` (shell words); its jid."""
    return lab.app.check_output(
        f"cd /opt/jobapp && runuser -u sidekiq -- env {env} ruby enqueue.rb {marker}"
    ).strip()


@pytest.fixture
def control_server(lab):
    """A plaintext Redis on the server host, no password, for the control run."""
    work = "/tmp/tls05-control"
    lab.redis.check_output(
        f"rm -rf {work} && install -d -o redis -g redis -m 0700 {work} && "
        f"runuser -u redis -- redis-server --port {CONTROL_PORT} --bind {lab.address} "
        f"--protected-mode no --save '' --appendonly no --dir {work} "
        f"--unixsocket {work}/redis.sock --pidfile {work}/redis.pid "
        f"--logfile {work}/redis.log --daemonize yes"
    )
    yield f"redis://{lab.address}:{CONTROL_PORT}/0"
    lab.redis.run(
        f"timeout 5 redis-cli -s {work}/redis.sock SHUTDOWN NOSAVE; rm -rf {work}"
    )


def test_TLS_05_the_capture_finds_a_marker_sent_in_plaintext(
    lab, control_server, tmp_path
):
    marker = f"tls05-control-{uuid.uuid4().hex}"
    capture = Capture(tmp_path / "plain.pcap", lab.address, CONTROL_PORT)
    enqueue(lab, marker, f"REDIS_URL={control_server}")
    data = capture.stop()
    assert marker.encode() in data


def test_TLS_05_the_job_argument_is_not_on_the_wire(lab, tmp_path):
    marker = f"tls05-secret-{uuid.uuid4().hex}"
    capture = Capture(tmp_path / "tls.pcap", lab.address, PORT)
    # The app's own environment: rediss:// and its client certificate.
    env = "$(grep -v '^#' /etc/jobapp/redis.env | xargs)"
    jid = enqueue(lab, marker, env)
    performed = json.loads(wait_for_job(lab.app, jid))
    data = capture.stop()
    # The worker got the marker through Redis, so it crossed the network...
    assert performed["marker"] == marker
    assert packets(tmp_path / "tls.pcap") > 10
    # ...encrypted.
    assert marker.encode() not in data
    assert b"MarkerJob" not in data
