"""CMD-01 and CMD-02: dangerous commands cannot be used, checked by the
server's replies to a client on the app host."""

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


def app_user(redis_server):
    if not redis_server.users:
        pytest.fail("the inventory declares no ACL user besides the admin")
    return redis_server.users[0]


@pytest.mark.parametrize("command", sorted(DENIED_CALLS))
def test_CMD_01_app_user_is_refused(command, app_host, redis_server, admin):
    user = app_user(redis_server)
    reply = redis_cli(
        app_host,
        *DENIED_CALLS[command],
        address=redis_server.address,
        user=user["name"],
        password=user["password"],
    )
    # DEBUG and MODULE are also switched off server-wide (CMD-02), which Redis
    # reports before the ACL check; ACL DRYRUN tells the ACL's own verdict.
    assert reply.startswith("NOPERM") or "command not allowed" in reply, (
        f"{command} answered {reply[:60]!r}"
    )
    verdict = admin("ACL", "DRYRUN", user["name"], *DENIED_CALLS[command])
    assert "no permissions" in verdict, f"the ACL lets {user['name']} run {command}"


def test_CMD_01_refusals_are_recorded_in_the_acl_log(app_host, redis_server, admin):
    user = app_user(redis_server)
    admin("ACL", "LOG", "RESET")
    redis_cli(
        app_host,
        "CONFIG",
        "GET",
        "*",
        address=redis_server.address,
        user=user["name"],
        password=user["password"],
    )
    log = admin("ACL", "LOG")
    assert "config|get" in log and user["name"] in log


def test_CMD_01_app_user_can_still_queue_jobs(app_host, redis_server):
    user = app_user(redis_server)
    auth = {
        "address": redis_server.address,
        "user": user["name"],
        "password": user["password"],
    }
    assert redis_cli(app_host, "LPUSH", "queue:cmd01-probe", "{}", **auth) == "1"
    assert redis_cli(app_host, "UNLINK", "queue:cmd01-probe", **auth) == "1"
    assert redis_cli(app_host, "INFO", "server", **auth).startswith("# Server")


def test_CMD_02_debug_is_refused_even_to_the_admin(admin):
    assert "DEBUG command not allowed" in admin("DEBUG", "SLEEP", "0")


def test_CMD_02_module_load_is_refused_even_to_the_admin(admin):
    assert "MODULE command not allowed" in admin("MODULE", "LOAD", "/tmp/evil.so")


@pytest.mark.parametrize("config", ["dir", "dbfilename"])
def test_CMD_02_protected_configs_cannot_be_changed(admin, config):
    # The classic attack: point dir at ~/.ssh or /etc/cron.d and SAVE.
    original = admin("CONFIG", "GET", config).splitlines()[1]
    reply = admin("CONFIG", "SET", config, "/tmp" if config == "dir" else "x.rdb")
    if reply == "OK":
        # The control is off: undo the change so the server keeps its data.
        admin("CONFIG", "SET", config, original)
    assert "protected config" in reply


def test_CMD_02_enable_settings_are_no(admin):
    for name in (
        "enable-debug-command",
        "enable-module-command",
        "enable-protected-configs",
    ):
        assert admin("CONFIG", "GET", name).splitlines()[1] == "no", name
