"""AUTH-01 and AUTH-02: nobody gets in without a user, and only hashes are kept."""

import hashlib

from conftest import redis_cli

ACL_FILE = "/etc/redis/acl.d/users.acl"


def test_AUTH_01_outsider_without_credentials_gets_noauth(outsider_host, redis_server):
    for command in (["PING"], ["CONFIG", "GET", "*"], ["KEYS", "*"]):
        reply = redis_cli(outsider_host, *command, address=redis_server.address)
        assert reply.startswith("NOAUTH"), f"{command[0]} answered {reply[:40]!r}"


def test_AUTH_01_app_host_without_credentials_gets_noauth(app_host, redis_server):
    reply = redis_cli(app_host, "DBSIZE", address=redis_server.address)
    assert reply.startswith("NOAUTH")


def test_AUTH_01_default_user_is_off(admin):
    users = admin("ACL", "LIST").splitlines()
    default = next(line for line in users if line.startswith("user default "))
    assert " off " in f"{default} "
    assert "nopass" not in default


def test_AUTH_01_empty_password_for_default_user_is_refused(
    outsider_host, redis_server
):
    reply = redis_cli(
        outsider_host, "AUTH", "default", "", address=redis_server.address
    )
    assert "WRONGPASS" in reply


def test_AUTH_02_admin_password_with_special_characters_works(app_host, redis_server):
    reply = redis_cli(
        app_host,
        "ACL",
        "WHOAMI",
        address=redis_server.address,
        user=redis_server.admin_user,
        password=redis_server.admin_password,
    )
    assert reply == redis_server.admin_user


def test_AUTH_02_wrong_password_is_refused(app_host, redis_server):
    reply = redis_cli(
        app_host,
        "PING",
        address=redis_server.address,
        user=redis_server.admin_user,
        password=redis_server.admin_password + "x",
    )
    assert "WRONGPASS" in reply or "NOAUTH" in reply


def test_AUTH_02_aclfile_holds_only_sha256_hashes(redis_server):
    content = redis_server.host.file(ACL_FILE).content_string
    passwords = [redis_server.admin_password] + [
        u["password"] for u in redis_server.users
    ]
    for password in passwords:
        assert password not in content
        assert "#" + hashlib.sha256(password.encode()).hexdigest() in content
    for line in content.splitlines():
        assert not any(token.startswith(">") for token in line.split()[2:])


def test_AUTH_02_no_plaintext_password_on_the_host(redis_server):
    host = redis_server.host
    listing = host.check_output(
        "find /etc/redis /var/log/redis /var/lib/redis /etc/systemd/system "
        "/usr/local/libexec -type f"
    ).splitlines()
    texts = {path: host.file(path).content for path in listing}
    texts["process list"] = host.check_output(
        "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '"
    ).encode()
    texts["journal"] = host.check_output("journalctl --no-pager -q").encode()
    passwords = [redis_server.admin_password] + [
        u["password"] for u in redis_server.users
    ]
    for password in passwords:
        leaks = [where for where, text in texts.items() if password.encode() in text]
        assert not leaks, f"a password appears in plain text in {leaks}"


def test_AUTH_02_every_enabled_user_has_a_password(admin):
    for line in admin("ACL", "LIST").splitlines():
        tokens = line.split()
        if "on" in tokens:
            assert "nopass" not in tokens, tokens[1]
            assert any(t.startswith("#") for t in tokens), tokens[1]
