"""NET-04 and TLS-02: no plaintext, no client without a certificate from the CA.

Each refusal is paired with the same connection done right, so a test fails
when the server stops answering altogether as well as when it lets one in.
"""

from __future__ import annotations

from conftest import APP_TLS, PORT, SCANNER_TLS, redis_cli, tls_cli

# What a server that read and ran the command answers.
ANSWERED = ("PONG", "NOAUTH", "WRONGPASS", "ERR")


def refused(reply: str) -> bool:
    return not any(word in reply for word in ANSWERED)


def test_NET_04_the_plaintext_port_is_closed(lab):
    assert lab.admin("CONFIG", "GET", "port").split() == ["port", "0"]
    assert lab.admin("CONFIG", "GET", "tls-port").split() == ["tls-port", str(PORT)]


def test_NET_04_plaintext_is_refused_from_the_app_and_the_outsider(lab):
    for host in (lab.app, lab.outsider):
        reply = tls_cli(host, lab.address, "PING", tls=False)
        assert refused(reply), reply


def test_NET_04_plaintext_is_refused_on_loopback(lab):
    reply = redis_cli(lab.redis, "PING", address="127.0.0.1")
    assert refused(reply), reply


def test_TLS_02_auth_clients_is_required(lab):
    assert lab.admin("CONFIG", "GET", "tls-auth-clients").split() == [
        "tls-auth-clients",
        "yes",
    ]


def test_TLS_02_tls_without_a_client_certificate_is_refused(lab):
    reply = tls_cli(lab.outsider, lab.address, "PING", tls_dir=SCANNER_TLS)
    assert refused(reply), reply


def test_TLS_02_a_certificate_from_another_ca_is_refused(lab):
    lab.outsider.check_output(
        "mkdir -p /tmp/rogue && openssl req -x509 -newkey ec "
        "-pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=rogue "
        "-keyout /tmp/rogue/rogue.key -out /tmp/rogue/rogue.crt 2>/dev/null "
        f"&& cp {SCANNER_TLS}/ca.crt /tmp/rogue/ca.crt"
    )
    reply = tls_cli(
        lab.outsider, lab.address, "PING", tls_dir="/tmp/rogue", name="rogue"
    )
    assert refused(reply), reply


def test_TLS_02_a_certificate_from_the_ca_still_needs_an_acl_user(lab):
    # TLS proves the client's machine; the ACL user still proves the app.
    reply = tls_cli(
        lab.outsider, lab.address, "PING", tls_dir=SCANNER_TLS, name="tls-scanner"
    )
    assert "NOAUTH" in reply, reply


def test_TLS_02_the_app_gets_in_with_its_certificate_and_user(lab):
    reply = tls_cli(
        lab.app,
        lab.address,
        "PING",
        tls_dir=APP_TLS,
        name="sidekiq",
        user="sidekiq",
        password=lab.variables["tls_sidekiq_password"],
    )
    assert reply == "PONG", reply


def test_TLS_02_the_app_is_pointed_at_its_certificate(lab):
    env = lab.app.file("/etc/jobapp/redis.env")
    assert env.user == "sidekiq" and env.mode == 0o600
    text = env.content_string
    assert "REDIS_URL=rediss://sidekiq:" in text
    assert f"REDIS_TLS_CERT_FILE={APP_TLS}/sidekiq.crt" in text
    assert f"REDIS_TLS_KEY_FILE={APP_TLS}/sidekiq.key" in text
    assert f"REDIS_TLS_CA_FILE={APP_TLS}/ca.crt" in text
