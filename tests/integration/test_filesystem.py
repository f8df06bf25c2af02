"""FS-01, FS-02, FS-03: data at rest and the service's sandbox."""

import shlex

import pytest


def mode(host, path) -> int:
    return host.file(path).mode


def test_FS_01_data_directory_is_private(redis_server):
    data = redis_server.host.file("/var/lib/redis")
    assert data.user == "redis" and data.group == "redis"
    assert data.mode & 0o027 == 0, oct(data.mode)


def test_FS_01_dump_files_are_private(redis_server):
    files = redis_server.host.check_output("find /var/lib/redis -type f").split()
    assert files, "no dump file: the prepare step should have left one"
    for path in files:
        entry = redis_server.host.file(path)
        assert entry.user == "redis"
        assert entry.mode & 0o037 == 0, f"{path} has mode {oct(entry.mode)}"


def test_FS_01_new_dumps_are_created_private(redis_server, admin):
    before = redis_server.host.file("/var/lib/redis/dump.rdb").mtime
    assert "Background saving started" in admin("BGSAVE")
    redis_server.host.run(
        "for i in $(seq 50); do [ $(stat -c %Y /var/lib/redis/dump.rdb) -gt "
        f"{int(before.timestamp())} ] && break; sleep 0.2; done"
    )
    dump = redis_server.host.file("/var/lib/redis/dump.rdb")
    assert dump.mode == 0o600, oct(dump.mode)


def test_FS_01_service_umask(redis_server):
    umask = redis_server.host.check_output(
        "systemctl show -p UMask --value redis-server"
    )
    assert umask in ("0077", "0027")


def test_FS_02_config_is_roots_and_not_world_readable(redis_server):
    conf = redis_server.host.file("/etc/redis/redis.conf")
    assert conf.user == "root" and conf.group == "redis"
    assert conf.mode & 0o027 == 0, oct(conf.mode)
    directory = redis_server.host.file("/etc/redis")
    assert directory.user == "root"
    assert directory.mode & 0o022 == 0, oct(directory.mode)


def test_FS_02_aclfile_is_writable_by_redis_only(redis_server, admin):
    acl = redis_server.host.file("/etc/redis/acl.d/users.acl")
    assert acl.user == "redis" and acl.mode & 0o077 == 0, oct(acl.mode)
    original = acl.content
    try:
        assert admin("ACL", "SAVE") == "OK"
    finally:
        # ACL SAVE writes the same users in Redis's own order; put the role's
        # text back so a later converge has nothing to change.
        redis_server.host.run(
            f"printf %s {shlex.quote(original.decode())} > /etc/redis/acl.d/users.acl"
        )


def unit(host) -> dict[str, str]:
    output = host.check_output(
        "systemctl show redis-server -p User -p NoNewPrivileges -p ProtectSystem "
        "-p ProtectHome -p PrivateTmp -p CapabilityBoundingSet "
        "-p RestrictAddressFamilies -p ReadWritePaths -p MainPID"
    )
    return dict(line.split("=", 1) for line in output.splitlines())


def test_FS_03_unit_runs_sandboxed(redis_server):
    props = unit(redis_server.host)
    assert props["User"] == "redis"
    assert props["NoNewPrivileges"] == "yes"
    assert props["ProtectSystem"] == "strict"
    assert props["ProtectHome"] == "yes"
    assert props["PrivateTmp"] == "yes"
    assert props["CapabilityBoundingSet"] == ""
    assert set(props["RestrictAddressFamilies"].split()) <= {
        "AF_INET",
        "AF_INET6",
        "AF_UNIX",
    }


def mounts_of(host, pid: str) -> list[tuple[str, set[str]]]:
    """(mount point, options) for each mount the process sees."""
    mounts = []
    for line in host.check_output(f"cat /proc/{pid}/mountinfo").splitlines():
        fields = line.split()
        mounts.append((fields[4], set(fields[5].split(","))))
    return mounts


def writable(mounts, path: str) -> bool:
    covering = [
        m for m in mounts if path == m[0] or path.startswith(m[0].rstrip("/") + "/")
    ]
    _point, options = max(covering, key=lambda m: len(m[0]))
    return "rw" in options


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/etc/redis", False),
        ("/etc/redis/redis.conf", False),
        ("/etc/cron.d", False),
        ("/root", False),
        ("/var/lib/redis", True),
        ("/etc/redis/acl.d", True),
    ],
)
def test_FS_03_service_can_write_only_its_own_paths(redis_server, path, expected):
    pid = unit(redis_server.host)["MainPID"]
    assert pid != "0", "redis-server is not running"
    mounts = mounts_of(redis_server.host, pid)
    assert writable(mounts, path) is expected, f"{path} writable: {not expected}"
