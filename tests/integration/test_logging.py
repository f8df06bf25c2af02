"""LOG-01: a log someone can read, and an ACL log that keeps failures."""

from conftest import redis_cli


def test_LOG_01_log_file_records_the_server(redis_server, admin):
    logfile = admin("CONFIG", "GET", "logfile").splitlines()[1]
    assert logfile, "logfile is empty"
    log = redis_server.host.file(logfile)
    assert log.exists and log.user == "redis"
    assert log.mode & 0o007 == 0, oct(log.mode)
    assert "Ready to accept connections" in log.content_string


def test_LOG_01_acl_log_keeps_enough_entries(admin):
    assert int(admin("CONFIG", "GET", "acllog-max-len").splitlines()[1]) >= 512


def test_LOG_01_failed_logins_are_recorded(outsider_host, redis_server, admin):
    admin("ACL", "LOG", "RESET")
    for _ in range(3):
        redis_cli(
            outsider_host,
            "PING",
            address=redis_server.address,
            user="admin",
            password="guessed-password",
        )
    log = admin("ACL", "LOG")
    assert "auth" in log
    assert log.count("reason") >= 1
