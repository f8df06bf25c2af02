"""The attacks that destroy data or stop the server, run last.

On the stock server FLUSHALL really empties the (throwaway) lab server and
SHUTDOWN really stops it; Debian's unit (Restart=always) brings it back.
The hardened server refuses both and keeps every key.
"""

from __future__ import annotations

import time
import uuid


def _dbsize(attack, db: int = 0) -> int:
    return int(attack.admin("DBSIZE", db=db) or "-1")


def test_CMD_01_flushdb_and_flushall(attack):
    canary = f"atk:canary-{uuid.uuid4().hex[:8]}"
    assert attack.admin("SET", canary, "1", db=15) == "OK"
    assert attack.admin("SET", canary, "1") == "OK"
    before = _dbsize(attack)
    flushdb = attack.cli("FLUSHDB", db=15)
    flushall = attack.cli("FLUSHALL")
    if attack.stock:
        assert (flushdb, flushall) == ("OK", "OK")
        assert _dbsize(attack) == 0 and _dbsize(attack, 15) == 0
        return
    from conftest import refused

    assert refused(flushdb) and refused(flushall), (flushdb, flushall)
    assert _dbsize(attack) == before
    assert attack.admin("EXISTS", canary, db=15) == "1"
    attack.admin("DEL", canary, db=15)
    attack.admin("DEL", canary)


def _main_pid(attack) -> str:
    return attack.server.host.check_output(
        "systemctl show -p MainPID --value redis-server"
    )


def test_CMD_01_shutdown(attack):
    pid = _main_pid(attack)
    reply = attack.cli("SHUTDOWN", "NOSAVE")
    if not attack.stock:
        from conftest import refused

        assert refused(reply), reply
        assert _main_pid(attack) == pid
        assert attack.admin("PING") == "PONG"
        return
    # The server went down (a new process now answers, started by systemd).
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        new_pid = _main_pid(attack)
        if new_pid not in (pid, "0") and attack.admin("PING") == "PONG":
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the stock server did not come back after SHUTDOWN")
    assert new_pid != pid
