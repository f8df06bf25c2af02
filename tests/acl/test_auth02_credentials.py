"""AUTH-02 on the app host and the server: credentials readable by the app
only, passwords on disk only as SHA-256 hashes, never on a command line."""

import hashlib

from conftest import SIDEKIQ_ENV, WEB_ENV, read_credentials

ACL_FILE = "/etc/redis/acl.d/users.acl"


def test_AUTH_02_credentials_files_are_the_apps_own(app_host):
    for path, owner in ((SIDEKIQ_ENV, "sidekiq"), (WEB_ENV, "sidekiq-web")):
        info = app_host.file(path)
        assert info.exists, path
        assert (info.user, info.group, info.mode) == (owner, owner, 0o600), path
        directory = app_host.file(path.rsplit("/", 1)[0])
        assert directory.user == "root" and directory.mode == 0o750, path


def test_AUTH_02_other_users_cannot_read_the_credentials(app_host):
    for path in (SIDEKIQ_ENV, WEB_ENV):
        result = app_host.run(f"runuser -u nobody -- cat {path}")
        assert result.rc != 0 and "Permission denied" in result.stderr
    # The dashboard's user cannot read the worker's file either.
    assert app_host.run(f"runuser -u sidekiq-web -- cat {SIDEKIQ_ENV}").rc != 0


def test_AUTH_02_password_is_on_no_command_line(app_host, sidekiq_credentials):
    cmdlines = app_host.check_output("cat /proc/[0-9]*/cmdline | tr '\\0' ' '")
    assert app_host.service("sidekiq").is_running
    assert sidekiq_credentials.password not in cmdlines
    environ = app_host.run(
        "cat /proc/$(systemctl show -p MainPID --value sidekiq)/environ"
    ).stdout
    assert sidekiq_credentials.password not in environ


def test_AUTH_02_aclfile_holds_hashes_of_the_generated_passwords(
    redis_server, app_host, secrets_dir
):
    content = redis_server.host.file(ACL_FILE).content_string
    for name in ("sidekiq", "sidekiq_web", "metrics", "replica", "sentinel", "ops"):
        password = (secrets_dir / name).read_text().strip()
        assert password not in content
        assert f"user {name} on " in content
        assert "#" + hashlib.sha256(password.encode()).hexdigest() in content
    for line in content.splitlines():
        assert not any(token.startswith(">") for token in line.split()[2:])
    # The app's file holds the same password as the server's hash.
    creds = read_credentials(app_host, SIDEKIQ_ENV)
    digest = hashlib.sha256(creds.password.encode()).hexdigest()
    assert f"#{digest}" in content


def test_AUTH_02_server_and_aclfile_hold_the_same_users(admin, redis_server):
    live = sorted(line.split()[1] for line in admin("ACL", "LIST").splitlines())
    content = redis_server.host.file(ACL_FILE).content_string
    saved = sorted(line.split()[1] for line in content.splitlines() if line)
    assert live == saved
    assert {"admin", "default", "sidekiq", "ops"} <= set(live)
