"""CMD-01: the Sidekiq user is refused every admin-class command, as the
server's replies say, and the ACL log records each refusal."""

import pytest
from conftest import redis_cli

# One call per CMD-01 command, with arguments that would do harm if allowed.
DENIED_CALLS = {
    "acl": ["ACL", "SETUSER", "intruder", "on", ">pw", "+@all"],
    "config": ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
    "debug": ["DEBUG", "SLEEP", "0"],
    "flushall": ["FLUSHALL"],
    "flushdb": ["FLUSHDB"],
    "keys": ["KEYS", "*"],
    "migrate": ["MIGRATE", "127.0.0.1", "6390", "", "0", "1000", "KEYS", "x"],
    "module": ["MODULE", "LOAD", "/tmp/evil.so"],
    "monitor": ["MONITOR"],
    "replicaof": ["REPLICAOF", "127.0.0.1", "6390"],
    "shutdown": ["SHUTDOWN", "NOSAVE"],
    "slaveof": ["SLAVEOF", "127.0.0.1", "6390"],
}


@pytest.mark.parametrize("command", sorted(DENIED_CALLS))
def test_CMD_01_sidekiq_user_is_refused(command, app_host, sidekiq_credentials, admin):
    creds = sidekiq_credentials
    reply = redis_cli(
        app_host,
        *DENIED_CALLS[command],
        address=creds.host,
        user=creds.user,
        password=creds.password,
    )
    # DEBUG and MODULE are also off server-wide (CMD-02), which Redis reports
    # before the ACL check; ACL DRYRUN gives the ACL's own verdict for all.
    assert reply.startswith("NOPERM") or "command not allowed" in reply, (
        f"{command} answered {reply[:60]!r}"
    )
    verdict = admin("ACL", "DRYRUN", creds.user, *DENIED_CALLS[command])
    assert "no permissions" in verdict, f"the ACL lets {creds.user} run {command}"


def test_CMD_01_refusals_are_recorded_in_the_acl_log(
    app_host, sidekiq_credentials, admin
):
    creds = sidekiq_credentials
    admin("ACL", "LOG", "RESET")
    for command in ("config", "flushall", "keys", "shutdown", "acl"):
        redis_cli(
            app_host,
            *DENIED_CALLS[command],
            address=creds.host,
            user=creds.user,
            password=creds.password,
        )
    log = admin("ACL", "LOG")
    for entry in ("config|set", "flushall", "keys", "shutdown", "acl|setuser"):
        assert entry in log, f"no ACL LOG entry for {entry}"
    assert creds.user in log


def test_CMD_01_every_non_admin_user_is_denied(admin):
    for user in ("sidekiq", "sidekiq_web", "metrics", "replica"):
        for command in ("flushall", "keys", "config", "shutdown"):
            verdict = admin("ACL", "DRYRUN", user, *DENIED_CALLS[command])
            assert "no permissions" in verdict, f"{user} may run {command}"
    assert admin("ACL", "DRYRUN", "ops", "FLUSHALL") == "OK"
