"""The module's logic against a real redis-server 7 with an aclfile: apply,
idempotence, rotation, validation before any change, and rollback."""

from __future__ import annotations

import pytest
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.acl import (
    AclError,
    ApplyError,
    Desired,
    allowed_commands,
    apply,
    build_desired,
    changes,
    connect,
    hash_password,
    read_acl_lines,
    read_catalog,
    read_user,
)

redis = pytest.importorskip("redis")

SIDEKIQ = {
    "name": "sidekiq",
    "passwords": ["sidekiq password with ' \" \\ $ and spaces"],
    "keys": ["~*"],
    "channels": ["&*"],
    "rules": ["-@all", "+@read", "+@write", "+@list", "+ping", "-keys", "-flushall"],
    "optional_rules": ["+hgetex", "-failover"],
}


def converge(client, specs):
    """What the module does: plan from the declarations, then apply."""
    catalog = read_catalog(client)
    desired = [build_desired(spec, catalog) for spec in specs]
    plan = [d for d in desired if changes(read_user(client, d.name), d, catalog)]
    apply(client, plan)
    return [d.name for d in plan]


def meaning(client):
    """Every user's permissions, compared by meaning: Redis may render the
    same restored rules in another order."""
    catalog = read_catalog(client)
    users = {}
    for name in read_acl_lines(client):
        user = read_user(client, name)
        users[name] = (
            user.enabled,
            sorted(user.hashes),
            user.keys,
            user.channels,
            allowed_commands(user.commands.split(), catalog),
        )
    return users


def login(server, user, password):
    client = redis.Redis(
        unix_socket_path=server.socket,
        username=user,
        password=password,
        decode_responses=True,
    )
    try:
        return client.ping()
    except redis.exceptions.AuthenticationError:
        return False
    finally:
        client.close()


def test_creates_users_saves_hashes_and_is_idempotent(acl_server):
    client = connect(acl_server.params())
    assert converge(client, [SIDEKIQ]) == ["sidekiq"]
    assert converge(client, [SIDEKIQ]) == []

    content = acl_server.aclfile.read_text()
    password = SIDEKIQ["passwords"][0]
    assert password not in content
    assert f"#{hash_password(password)}" in content
    assert "user sidekiq on" in content
    assert login(acl_server, "sidekiq", password)


def test_optional_rules_unknown_to_this_server_stay_out_of_the_aclfile(acl_server):
    client = connect(acl_server.params())
    catalog = read_catalog(client)
    desired = build_desired(SIDEKIQ, catalog)
    assert "+hgetex" in desired.skipped_rules  # added in Redis 7.4
    converge(client, [SIDEKIQ])
    assert "hgetex" not in acl_server.aclfile.read_text()


def test_staged_rotation_keeps_both_passwords_then_only_the_new(acl_server):
    client = connect(acl_server.params())
    old, new = SIDEKIQ["passwords"][0], "brand new password 0123456789 ~!@"
    converge(client, [SIDEKIQ])
    converge(client, [{**SIDEKIQ, "passwords": [old, new]}])
    assert login(acl_server, "sidekiq", old) and login(acl_server, "sidekiq", new)
    assert converge(client, [{**SIDEKIQ, "passwords": [new]}]) == ["sidekiq"]
    assert not login(acl_server, "sidekiq", old)
    assert login(acl_server, "sidekiq", new)
    assert acl_server.aclfile.read_text().count("#") == 2  # admin + sidekiq


def test_a_changed_rule_is_applied_and_dropping_it_too(acl_server):
    client = connect(acl_server.params())
    converge(client, [SIDEKIQ])
    wider = {**SIDEKIQ, "rules": [*SIDEKIQ["rules"], "+info"]}
    assert converge(client, [wider]) == ["sidekiq"]
    assert "+info" in read_user(client, "sidekiq").commands
    assert converge(client, [SIDEKIQ]) == ["sidekiq"]


def test_a_typo_fails_before_any_user_changes(acl_server):
    client = connect(acl_server.params())
    before = acl_server.aclfile.read_text()
    typo = {**SIDEKIQ, "name": "web", "rules": ["-@all", "+hgetal"]}
    with pytest.raises(AclError, match=r"User web: the rule '\+hgetal'"):
        converge(client, [SIDEKIQ, typo])
    assert read_user(client, "sidekiq") is None
    assert acl_server.aclfile.read_text() == before


def test_failure_inside_the_transaction_restores_every_user(acl_server):
    client = connect(acl_server.params())
    converge(client, [SIDEKIQ])
    before_file = acl_server.aclfile.read_text()
    before_users = meaning(client)
    catalog = read_catalog(client)
    changed = build_desired(
        {**SIDEKIQ, "passwords": ["another password 12345"]}, catalog
    )
    # Bypasses validation to make Redis itself refuse the second user.
    broken = Desired(
        name="broken", hashes=[hash_password("x" * 20)], rules=["+nosuchcommand"]
    )
    with pytest.raises(ApplyError, match="previous users were put back") as info:
        apply(client, [changed, broken])
    assert info.value.restored
    assert meaning(client) == before_users
    assert acl_server.aclfile.read_text() == before_file


def test_failed_save_restores_the_live_users_and_keeps_the_file(acl_server):
    client = connect(acl_server.params())
    converge(client, [SIDEKIQ])
    before_users = meaning(client)
    before_file = acl_server.aclfile.read_text()
    # ACL SAVE writes a temporary file and renames it over the aclfile;
    # a directory in the aclfile's place makes the rename fail.
    acl_server.aclfile.rename(acl_server.workdir / "users.acl.saved")
    acl_server.aclfile.mkdir()
    catalog = read_catalog(client)
    new = build_desired({**SIDEKIQ, "name": "newcomer"}, catalog)
    try:
        with pytest.raises(ApplyError, match="ACL SAVE"):
            apply(client, [new])
    finally:
        acl_server.aclfile.rmdir()
        (acl_server.workdir / "users.acl.saved").rename(acl_server.aclfile)
    assert read_user(client, "newcomer") is None
    assert meaning(client) == before_users
    assert acl_server.aclfile.read_text() == before_file


def test_absent_user_is_deleted_from_server_and_file(acl_server):
    client = connect(acl_server.params())
    converge(client, [SIDEKIQ])
    assert converge(client, [{"name": "sidekiq", "state": "absent"}]) == ["sidekiq"]
    assert "sidekiq" not in acl_server.aclfile.read_text()
    assert converge(client, [{"name": "sidekiq", "state": "absent"}]) == []


def test_users_not_declared_are_left_alone(acl_server):
    client = connect(acl_server.params())
    client.execute_command("ACL", "SETUSER", "other", "on", "#" + "b" * 64, "+get")
    converge(client, [SIDEKIQ])
    assert read_user(client, "other") is not None
    assert "user other" in acl_server.aclfile.read_text()
