"""TLS-04: keys private to their users, the CA key on the controller only and
encrypted, and a certificate close to its end renewed by the next converge
while Redis keeps running, its data and its persistence.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from conftest import APP_TLS, SCANNER_TLS, SERVER_TLS, converge, served_certificate
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

pytestmark = pytest.mark.slow


def _ca_dir(lab) -> Path:
    return Path(lab.variables["redis_tls_ca_dir"])


def test_TLS_04_the_server_key_is_readable_by_redis_only(lab):
    key = lab.redis.file(f"{SERVER_TLS}/server.key")
    assert (key.user, key.group, key.mode) == ("redis", "redis", 0o600)
    directory = lab.redis.file(SERVER_TLS)
    assert (directory.user, directory.group, directory.mode) == ("root", "redis", 0o750)


def test_TLS_04_client_keys_are_readable_by_their_app_only(lab):
    key = lab.app.file(f"{APP_TLS}/sidekiq.key")
    assert (key.user, key.mode) == ("sidekiq", 0o600)
    scanner = lab.outsider.file(f"{SCANNER_TLS}/tls-scanner.key")
    assert (scanner.user, scanner.mode) == ("scanner", 0o600)


# Where keys could sit on a lab host; /usr and /var/lib hold package data.
KEY_DIRS = "/etc /root /home /opt /srv /tmp /var/lib/redis /var/lib/jobapp"


def _public_key(host, pem_path: str) -> str:
    return host.run(f"openssl pkey -in {pem_path} -pubout 2>/dev/null").stdout


def test_TLS_04_the_ca_key_stays_encrypted_on_the_controller(lab):
    ca_dir = _ca_dir(lab)
    assert ca_dir.stat().st_mode & 0o777 == 0o700
    pem = (ca_dir / "ca.key").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")  # PKCS#8
    with pytest.raises(TypeError, match="encrypted"):
        serialization.load_pem_private_key(pem, password=None)


def test_TLS_04_no_host_holds_the_ca_key(lab):
    ca_public = lab.redis.check_output(
        f"openssl x509 -in {SERVER_TLS}/ca.crt -pubkey -noout"
    )
    assert "BEGIN PUBLIC KEY" in ca_public
    for host in (lab.redis, lab.app, lab.outsider):
        found = host.run(
            f"grep -rlI 'PRIVATE KEY-----' {KEY_DIRS} 2>/dev/null"
        ).stdout.split()
        assert found, "no key found at all: the search is broken"
        for path in found:
            text = host.file(path).content_string
            # No host key is encrypted; an encrypted one can only be a copy
            # of the CA's.
            assert "ENCRYPTED PRIVATE KEY" not in text, path
            assert _public_key(host, path).strip() != ca_public.strip(), path


def test_TLS_04_the_server_certificate_names_the_host(lab):
    text = lab.redis.check_output(
        f"openssl x509 -in {SERVER_TLS}/server.crt -noout -ext subjectAltName"
    )
    assert f"IP Address:{lab.address}" in text
    assert "DNS:rh-tls-redis" in text


def _short_lived_copy(host, path: str, lab, days: int) -> bytes:
    """The certificate at `path` on `host`, signed again by the lab CA to end
    in `days`: same key, names and extensions."""
    ca_dir = _ca_dir(lab)
    passphrase = lab.variables["redis_tls_ca_passphrase"].encode()
    ca_key = serialization.load_pem_private_key(
        (ca_dir / "ca.key").read_bytes(), passphrase
    )
    ca_cert = x509.load_pem_x509_certificate((ca_dir / "ca.crt").read_bytes())
    current = x509.load_pem_x509_certificate(host.file(path).content_string.encode())
    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(current.subject)
        .issuer_name(ca_cert.subject)
        .public_key(current.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=days))
    )
    for extension in current.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(
        serialization.Encoding.PEM
    )


def _days_left(not_after: str) -> float:
    end = dt.datetime.strptime(not_after, "%b %d %H:%M:%S %Y %Z").replace(
        tzinfo=dt.timezone.utc
    )
    return (end - dt.datetime.now(dt.timezone.utc)).total_seconds() / 86400


def _replace(host, path: str, pem: bytes, group: str) -> None:
    encoded = base64.b64encode(pem).decode()
    host.check_output(
        f"echo {encoded} | base64 -d > {path}.new && chown root:{group} {path}.new "
        f"&& chmod 0644 {path}.new && mv {path}.new {path}"
    )


def _end(host, path: str) -> str:
    return host.check_output(f"openssl x509 -in {path} -noout -enddate").split("=", 1)[
        1
    ]


def _main_pid(host, unit: str) -> str:
    return host.check_output(f"systemctl show -p MainPID --value {unit}")


def test_TLS_04_certificates_with_5_days_left_are_renewed(lab):
    server_cert = f"{SERVER_TLS}/server.crt"
    app_cert = f"{APP_TLS}/sidekiq.crt"
    # The server's and the app's certificates, five days from their end; the
    # running Redis serves its short one.
    _replace(
        lab.redis,
        server_cert,
        _short_lived_copy(lab.redis, server_cert, lab, 5),
        "redis",
    )
    _replace(lab.app, app_cert, _short_lived_copy(lab.app, app_cert, lab, 5), "sidekiq")
    assert lab.admin("CONFIG", "SET", "tls-cert-file", server_cert) == "OK"
    before = served_certificate(lab)
    assert 4 < _days_left(before["not_after"]) < 6, before
    assert 4 < _days_left(_end(lab.app, app_cert)) < 6

    pid = _main_pid(lab.redis, "redis-server")
    worker = _main_pid(lab.app, "jobapp-worker")
    persistence = [
        lab.admin("CONFIG", "GET", name) for name in ("save", "appendonly", "dir")
    ]
    assert lab.admin("SET", "tls04:kept", "still here") == "OK"

    recap = converge()
    assert recap["rh-tls-redis"]["changed"] > 0, recap
    assert recap["rh-tls-app"]["changed"] > 0, recap

    after = served_certificate(lab)
    assert after["serial"] != before["serial"]
    assert _days_left(after["not_after"]) > 300, after
    # Loaded live: same process, same data, same persistence settings.
    assert _main_pid(lab.redis, "redis-server") == pid
    assert lab.admin("GET", "tls04:kept") == "still here"
    assert [
        lab.admin("CONFIG", "GET", name) for name in ("save", "appendonly", "dir")
    ] == persistence
    assert "rdb_last_bgsave_status:ok" in lab.admin("INFO", "persistence")
    lab.admin("DEL", "tls04:kept")
    # The app's certificate is renewed and its worker restarted to present it.
    assert _days_left(_end(lab.app, app_cert)) > 300
    assert _main_pid(lab.app, "jobapp-worker") not in (worker, "0")


def test_TLS_04_a_certificate_with_time_left_is_kept(lab):
    before = served_certificate(lab)
    recap = converge()
    assert {host: counts["changed"] for host, counts in recap.items()} == {
        host: 0 for host in recap
    }, recap
    assert served_certificate(lab) == before
