"""DATA-02: job arguments encrypted with provisioned, rotated keys.

The tests run in file order: the key file as converged, then a real Sidekiq
job end to end, then a rotation while encrypted jobs wait in the retry set.
Each data test has a plaintext control in the same Redis, so a scan or grep
that could not see a card number would fail the test instead of passing it.
"""

from __future__ import annotations

import base64
import json
import sys
import time

from conftest import (
    FAIL_DIR,
    KEY_FILE,
    ROOT,
    enqueue,
    run_job_keys,
    scan_redis,
    wait_for_result,
)

sys.path.insert(0, str(ROOT / "plugins" / "module_utils"))
import job_envelope  # found through the path set just above

CARD = "4111111111111111"


def keyring(app_host) -> dict[int, bytes]:
    document = json.loads(app_host.file(KEY_FILE).content_string)
    return {int(v): base64.b64decode(k) for v, k in document["versions"].items()}


def card_findings(scan: dict) -> list[dict]:
    return [f for f in scan["findings"] if f["detector"] == "card_number"]


def queued_jobs(admin, queue: str = "default") -> list[dict]:
    raw = admin("LRANGE", f"queue:{queue}", "0", "-1")
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


def rdb_has(redis_host, admin, needle: str) -> bool:
    assert admin("SAVE") == "OK"
    return redis_host.run(f"grep -qaF {needle} /var/lib/redis/dump.rdb").rc == 0


def test_DATA_02_key_file_is_readable_by_the_app_user_only(app_host):
    key_file = app_host.file(KEY_FILE)
    assert key_file.user == "sidekiq"
    assert key_file.mode == 0o400
    directory = app_host.file("/etc/sidekiq")
    assert (directory.user, directory.group, directory.mode) == (
        "root",
        "sidekiq",
        0o750,
    )
    # Another unprivileged user cannot read it; the app user can.
    assert app_host.run(f"runuser -u nobody -- cat {KEY_FILE}").rc != 0
    assert app_host.run(f"runuser -u sidekiq -- cat {KEY_FILE}").rc == 0
    document = json.loads(key_file.content_string)
    assert document["active_version"] == 1
    assert list(document["versions"]) == ["1"]
    assert all(len(key) == 32 for key in keyring(app_host).values())


def test_DATA_02_encrypted_job_is_performed_in_clear_and_stored_encrypted(
    app_host, redis_host, admin, runner, worker
):
    app_host.check_output("systemctl stop jobapp-worker")
    admin("DEL", "queue:default", "schedule", "retry", "dead")

    # Control: without encryption the card number is visible to both checks.
    plain_jid = enqueue(app_host, "PlainCardJob", 900, CARD)
    assert any(f["jid"] == plain_jid for f in card_findings(scan_redis(runner)))
    assert rdb_has(redis_host, admin, CARD)
    admin("DEL", "queue:default")

    jid = enqueue(app_host, "CardJob", 901, CARD)
    (job,) = queued_jobs(admin)
    assert job["jid"] == jid and job["encrypt"] is True
    assert job["args"][0] == 901
    assert job_envelope.envelope_version(job["args"][-1]) == 1
    # Cross-check: the Python reference opens what Ruby wrote.
    opened = job_envelope.decrypt_value(job["args"][-1], keyring(app_host))
    assert opened == {"card": CARD, "holder": "Test Holder"}

    scan = scan_redis(runner)
    assert card_findings(scan) == []
    assert scan["by_key_version"] == {"1": 1}
    assert not rdb_has(redis_host, admin, CARD)

    app_host.check_output("systemctl start jobapp-worker")
    received = wait_for_result(app_host, jid)
    assert received["order_id"] == 901
    assert received["secrets"] == {"card": CARD, "holder": "Test Holder"}


def test_DATA_02_python_envelope_is_opened_by_the_ruby_worker(app_host, admin, worker):
    job = {
        "class": "CardJob",
        "queue": "default",
        "args": [902, {"card": CARD, "note": "from Python"}],
        "jid": "0a1b2c3d4e5f60718293a4b5",
        "retry": 5,
        "created_at": time.time(),
        "enqueued_at": time.time(),
    }
    encrypted = job_envelope.encrypt_job(job, keyring(app_host), version=1)
    assert CARD not in json.dumps(encrypted)
    admin("LPUSH", "queue:default", json.dumps(encrypted))
    received = wait_for_result(app_host, job["jid"])
    assert received["secrets"] == {"card": CARD, "note": "from Python"}


def test_DATA_02_rotation_keeps_old_jobs_working_and_retires_only_unused_keys(
    app_host, redis_host, admin, runner, worker
):
    admin("DEL", "queue:default", "retry")
    # Two jobs under key version 1 fail once and wait in the retry set.
    for order in (910, 911):
        app_host.check_output(f"touch {FAIL_DIR}/{order}")
    old_jids = [enqueue(app_host, "CardJob", order, CARD) for order in (910, 911)]
    deadline = time.monotonic() + 60
    while int(admin("ZCARD", "retry")) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert int(admin("ZCARD", "retry")) == 2
    scan = scan_redis(runner)
    assert scan["by_key_version"] == {"1": 2}
    assert card_findings(scan) == []
    # DATA-03 on the live server: the retry set's size is reported.
    assert scan["retention"]["retry"]["size"] == 2

    # Rotate: version 2 becomes active, version 1 stays.
    rotated = {"jobkeys_versions": [1, 2], "redis_job_keys_active_version": 2}
    result = run_job_keys(rotated)
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(app_host.file(KEY_FILE).content_string)
    assert document["active_version"] == 2
    assert sorted(document["versions"]) == ["1", "2"]
    new_jid = enqueue(app_host, "CardJob", 912, CARD)
    assert wait_for_result(app_host, new_jid)["secrets"]["card"] == CARD

    # Retiring version 1 is refused while the retry set still holds its jobs.
    retire = {**rotated, "redis_job_keys_retire": [1]}
    result = run_job_keys(retire)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "key version 1 is still used by 2 job(s)" in output
    assert "1" in json.loads(app_host.file(KEY_FILE).content_string)["versions"]

    # Let the old jobs succeed: due now, the poller moves them to the queue.
    app_host.check_output(f"rm -f {FAIL_DIR}/910 {FAIL_DIR}/911")
    for member in admin("ZRANGE", "retry", "0", "-1").splitlines():
        assert admin("ZADD", "retry", "XX", "CH", str(time.time()), member) == "1"
    for jid in old_jids:
        assert wait_for_result(app_host, jid)["secrets"]["card"] == CARD
    assert int(admin("ZCARD", "retry")) == 0
    scan = scan_redis(runner)
    assert "1" not in scan["by_key_version"]
    assert scan["retention"].get("retry", {}).get("size", 0) == 0

    # Now version 1 goes, and the key never appeared in the play's output.
    old_key = json.loads(app_host.file(KEY_FILE).content_string)["versions"]["1"]
    result = run_job_keys(retire)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert old_key not in output
    document = json.loads(app_host.file(KEY_FILE).content_string)
    assert list(document["versions"]) == ["2"]
    assert app_host.file(KEY_FILE).mode == 0o400
