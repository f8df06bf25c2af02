"""TLS-01: sslyze, run from the outsider, finds TLS 1.2 and 1.3 only, and
only forward-secret AEAD ciphers.

The scanner presents a client certificate from the lab CA, so the server
completes every handshake it would complete for a trusted client: a scan
without one would see every protocol refused and prove nothing.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import PORT, SCANNER_TLS

OLD = (
    "ssl_2_0_cipher_suites",
    "ssl_3_0_cipher_suites",
    "tls_1_0_cipher_suites",
    "tls_1_1_cipher_suites",
)
# IANA names: ECDHE or DHE key exchange, then GCM or ChaCha20-Poly1305.
STRONG_TLS12 = re.compile(
    r"^TLS_(ECDHE|DHE)_(ECDSA|RSA)_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$"
)
STRONG_TLS13 = {
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
}


@pytest.fixture(scope="module")
def scan(lab) -> dict:
    lab.outsider.check_output(
        "cd /tmp && PYTHONPATH=/opt/sslyze timeout 120 python3 -m sslyze --quiet "
        "--json_out=/tmp/sslyze.json --cert %s/tls-scanner.crt --key %s/tls-scanner.key "
        "--sslv2 --sslv3 --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3 --compression %s:%s",
        SCANNER_TLS,
        SCANNER_TLS,
        lab.address,
        str(PORT),
    )
    report = json.loads(lab.outsider.file("/tmp/sslyze.json").content_string)
    (server,) = report["server_scan_results"]
    assert server["connectivity_status"] == "COMPLETED", server[
        "connectivity_error_trace"
    ]
    return server["scan_result"]


def accepted(scan: dict, name: str) -> list[str]:
    attempt = scan[name]
    assert attempt["status"] == "COMPLETED", attempt.get("error_trace")
    return [
        c["cipher_suite"]["name"] for c in attempt["result"]["accepted_cipher_suites"]
    ]


def test_TLS_01_no_ssl_and_no_tls_before_1_2(scan):
    assert {name: accepted(scan, name) for name in OLD} == {name: [] for name in OLD}


def test_TLS_01_tls_1_2_offers_forward_secret_aead_ciphers_only(scan):
    ciphers = accepted(scan, "tls_1_2_cipher_suites")
    assert ciphers, "TLS 1.2 is not offered"
    assert [c for c in ciphers if not STRONG_TLS12.match(c)] == []


def test_TLS_01_tls_1_3_offers_the_standard_aead_suites_only(scan):
    suites = accepted(scan, "tls_1_3_cipher_suites")
    assert suites, "TLS 1.3 is not offered"
    assert set(suites) <= STRONG_TLS13


def test_TLS_01_no_tls_compression(scan):
    attempt = scan["tls_compression"]
    assert attempt["status"] == "COMPLETED", attempt.get("error_trace")
    assert attempt["result"]["supports_compression"] is False


def test_TLS_01_the_server_orders_the_ciphers(lab):
    reply = lab.admin("CONFIG", "GET", "tls-prefer-server-ciphers").split()
    assert reply == ["tls-prefer-server-ciphers", "yes"]
