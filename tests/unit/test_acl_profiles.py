"""Users declared by profile: rule order, CMD-01 last, rotation passwords, and
that every built-in profile is accepted by the Redis 7.0 on this machine."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils import (
    acl_profiles,
)
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.acl import (
    allowed_commands,
    build_desired,
    connect,
    read_catalog,
)

ROLE = Path(__file__).resolve().parents[2] / "roles" / "redis_acl"
PROFILES = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())[
    "__redis_acl_builtin_profiles"
]
CMD01 = yaml.safe_load((ROLE / "vars" / "main.yml").read_text())["__redis_acl_cmd01"]
SECRETS = {"app": {"current": "c" * 32, "next": "n" * 32}}


def test_denials_come_last_so_extra_rules_cannot_undo_them():
    users = [{"name": "app", "profile": "sidekiq", "extra_rules": ["+keys"]}]
    [user] = acl_profiles.expand_users(users, PROFILES, CMD01, SECRETS)
    assert user["rules"][-1] == "+keys"
    assert user["optional_rules"][-len(CMD01) :] == [f"-{c}" for c in CMD01]


def test_admin_profile_gets_no_denials():
    [user] = acl_profiles.expand_users(
        [{"name": "app", "profile": "admin"}], PROFILES, CMD01, SECRETS
    )
    assert user["optional_rules"] == []


def test_sentinel_exceptions_are_allowed_again_after_the_denials():
    rules = acl_profiles.denial_rules(
        ["config", "replicaof", "keys"], ["replicaof", "config|rewrite"]
    )
    assert rules == ["-config", "-keys", "+config|rewrite"]


@pytest.mark.parametrize(
    ("stage", "rotate", "expected"),
    [
        ("none", ["all"], ["c" * 32]),
        ("stage", ["all"], ["c" * 32, "n" * 32]),
        ("stage", ["other"], ["c" * 32]),
        ("finish", ["app"], ["n" * 32]),
    ],
)
def test_rotation_stages_pick_the_passwords(stage, rotate, expected):
    users = [{"name": "app", "profile": "monitor"}]
    [user] = acl_profiles.expand_users(users, PROFILES, CMD01, SECRETS, stage, rotate)
    assert user["passwords"] == expected


def test_unknown_profile_names_the_user_and_the_known_ones():
    with pytest.raises(
        acl_profiles.ProfileError, match="User app names the profile 'sidekik'"
    ):
        acl_profiles.expand_users(
            [{"name": "app", "profile": "sidekik"}], PROFILES, CMD01, SECRETS
        )


def test_missing_next_password_is_an_error():
    with pytest.raises(acl_profiles.ProfileError, match="no next password"):
        acl_profiles.expand_users(
            [{"name": "app", "profile": "monitor"}],
            PROFILES,
            CMD01,
            {"app": {"current": "c" * 32}},
            "stage",
        )


def test_users_without_profile_keep_their_own_rules():
    users = [{"name": "legacy", "password": "p" * 32, "rules": ["+@all"]}]
    [user] = acl_profiles.expand_users(users, {}, CMD01, {})
    assert user["rules"] == ["+@all"] and user["keys"] == ["~*"]
    assert user["passwords"] == ["p" * 32]


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_builtin_profile_is_valid_on_this_redis(profile, acl_server):
    client = connect(acl_server.params())
    catalog = read_catalog(client)
    [spec] = acl_profiles.expand_users(
        [{"name": "u", "profile": profile}],
        PROFILES,
        CMD01,
        {"u": {"current": "p" * 32}},
    )
    desired = build_desired(spec, catalog)
    assert desired.skipped_rules == []
    allowed = allowed_commands(desired.rules + spec["optional_rules"], catalog)
    if profile == "admin":
        assert "flushall" in allowed
    else:
        assert not {"flushall", "keys", "config|get", "acl|setuser"} & allowed
    if profile == "monitor":
        assert "info" in allowed and "slowlog|get" not in allowed
