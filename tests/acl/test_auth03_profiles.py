"""AUTH-03: a real Sidekiq 6.4 works under the sidekiq profile, its dashboard
under sidekiq_web, and each profile is refused what it does not need."""

import time
import uuid

import pytest
from conftest import (
    WEB_ENV,
    dashboard,
    performed,
    read_credentials,
    redis_cli,
    sidekiq,
    wait_for,
)


@pytest.fixture(scope="module")
def tag():
    return uuid.uuid4().hex[:8]


def test_AUTH_03_sidekiq_enqueues_and_performs(app_host, tag):
    job = sidekiq(app_host, "push", f"now-{tag}")
    assert len(job["jid"]) == 24
    wait_for(lambda: f"performed now-{tag}" in performed(app_host), 30, "the job")


def test_AUTH_03_sidekiq_schedules_with_perform_in(app_host, tag):
    sidekiq(app_host, "push_in", "3", f"later-{tag}")
    assert f"later-{tag}" in dashboard(app_host)["scheduled_ids"]
    started = time.monotonic()
    wait_for(lambda: f"performed later-{tag}" in performed(app_host), 40, "it")
    assert time.monotonic() - started > 1.5, "the scheduled job ran at once"


def test_AUTH_03_sidekiq_pushes_in_bulk(app_host, tag):
    jids = sidekiq(app_host, "push_bulk", f"bulk-{tag}", "25")["jids"]
    assert len(set(jids)) == 25
    wanted = {f"performed bulk-{tag}-{i}" for i in range(25)}
    wait_for(lambda: wanted <= set(performed(app_host)), 40, "the bulk jobs")


def test_AUTH_03_failing_job_is_retried_then_dead(app_host, tag):
    before = dashboard(app_host)["failed"]
    sidekiq(app_host, "fail", f"fail-{tag}")
    wait_for(
        lambda: f"fail-{tag}" in dashboard(app_host)["dead_ids"], 60, "the dead set"
    )
    attempts = [line for line in performed(app_host) if line == f"attempt fail-{tag}"]
    assert len(attempts) == 2, "one run and one retry"
    assert f"fail-{tag}" not in dashboard(app_host)["retry_ids"]
    # The worker adds its failures to stat:failed at its next heartbeat.
    wait_for(lambda: dashboard(app_host)["failed"] >= before + 2, 20, "stat:failed")


def test_AUTH_03_dashboard_reads_statistics_and_queues(app_host):
    stats = dashboard(app_host)
    assert stats["processed"] > 0
    assert stats["processes"] == 1, "the worker's heartbeat"
    assert "default" in stats["queues"]
    assert stats["history"] == 2


# Commands outside the sidekiq profile that are not in CMD-01 either: with
# the profile switched to +@all they would be allowed.
BEYOND_SIDEKIQ = {
    "save": ["SAVE"],
    "bgsave": ["BGSAVE"],
    "swapdb": ["SWAPDB", "0", "1"],
    "client|kill": ["CLIENT", "KILL", "ID", "999999"],
    "script|flush": ["SCRIPT", "FLUSH"],
    "slowlog|reset": ["SLOWLOG", "RESET"],
    "dump": ["DUMP", "stat:processed"],
    "restore": ["RESTORE", "k", "0", "x"],
    "replconf": ["REPLCONF", "listening-port", "6390"],
    "select": ["SELECT", "1"],
}


@pytest.mark.parametrize("command", sorted(BEYOND_SIDEKIQ))
def test_AUTH_03_sidekiq_is_refused_beyond_its_profile(
    command, app_host, sidekiq_credentials
):
    creds = sidekiq_credentials
    reply = redis_cli(
        app_host,
        *BEYOND_SIDEKIQ[command],
        address=creds.host,
        user=creds.user,
        password=creds.password,
    )
    assert reply.startswith("NOPERM"), f"{command} answered {reply[:60]!r}"


def test_AUTH_03_dashboard_cannot_fetch_jobs_or_run_scripts(app_host):
    creds = read_credentials(app_host, WEB_ENV)
    auth = {"address": creds.host, "user": creds.user, "password": creds.password}
    for call in (["BRPOP", "queue:default", "1"], ["EVAL", "return 1", "0"]):
        reply = redis_cli(app_host, *call, **auth)
        assert reply.startswith("NOPERM"), f"{call[0]} answered {reply[:60]!r}"


def test_AUTH_03_monitor_cannot_read_secrets_or_data(admin, redis_server):
    for call in (
        ["CONFIG", "GET", "masterauth"],
        ["CONFIG", "GET", "*"],
        ["SLOWLOG", "GET"],
        ["LRANGE", "queue:default", "0", "-1"],
        ["GET", "stat:processed"],
        ["ACL", "LIST"],
    ):
        verdict = admin("ACL", "DRYRUN", "metrics", *call)
        assert "no permissions" in verdict, f"metrics may run {call}"
    for call in (["INFO"], ["DBSIZE"], ["LLEN", "queue:default"], ["PING"]):
        assert admin("ACL", "DRYRUN", "metrics", *call) == "OK", call


def test_AUTH_03_replica_and_sentinel_profiles(admin):
    assert admin("ACL", "DRYRUN", "replica", "PSYNC", "?", "-1") == "OK"
    assert "no permissions" in admin("ACL", "DRYRUN", "replica", "GET", "k")
    assert admin("ACL", "DRYRUN", "sentinel", "REPLICAOF", "NO", "ONE") == "OK"
    assert admin("ACL", "DRYRUN", "sentinel", "CONFIG", "REWRITE") == "OK"
    for call in (["CONFIG", "GET", "*"], ["CONFIG", "SET", "dir", "/"], ["GET", "k"]):
        assert "no permissions" in admin("ACL", "DRYRUN", "sentinel", *call), call
