"""The redis_acl module end to end against a real redis-server: check mode
changes nothing, diff hides secrets, apply then apply again, as the
community.* collections test their modules."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("redis")
from ansible.module_utils.testing import patch_module_args
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.acl import (
    hash_password,
)
from ansible_collections.jobqueue.redis_hardening.plugins.modules import redis_acl

PASSWORD = "module test password: any printable ' \" \\ $ ` ~ chars"


def run(capsys, server, users, check=False, diff=True):
    args = {
        **server.params(),
        "users": users,
        "_ansible_check_mode": check,
        "_ansible_diff": diff,
    }
    with patch_module_args(args), pytest.raises(SystemExit):
        redis_acl.main()
    return json.loads(capsys.readouterr().out)


def sidekiq(password=PASSWORD, rules=("-@all", "+@list", "+ping")):
    return [
        {
            "name": "sidekiq",
            "passwords": [password],
            "keys": ["~*"],
            "rules": list(rules),
        }
    ]


def test_check_apply_check_apply(capsys, acl_server):
    before = acl_server.aclfile.read_text()
    result = run(capsys, acl_server, sidekiq(), check=True)
    assert result["changed"] and result["users"][0]["action"] == "created"
    assert acl_server.aclfile.read_text() == before

    result = run(capsys, acl_server, sidekiq())
    assert result["changed"]
    assert "user sidekiq" in acl_server.aclfile.read_text()

    assert not run(capsys, acl_server, sidekiq(), check=True)["changed"]
    result = run(capsys, acl_server, sidekiq())
    assert not result["changed"] and result["users"][0]["action"] == "unchanged"


def test_output_never_holds_a_password_or_its_hash(capsys, acl_server):
    run(capsys, acl_server, sidekiq())
    new = "the next password, also long enough"
    web = {"name": "web", "passwords": [PASSWORD, new], "keys": ["~*"]}
    out = run(capsys, acl_server, [*sidekiq(password=new), web])
    text = json.dumps(out)
    for secret in (PASSWORD, new, hash_password(PASSWORD), hash_password(new)):
        assert secret not in text
    assert "password hashes: 1 (replaced)" in out["diff"]["after"]
    assert "password hashes: 2" in out["diff"]["after"]
    assert out["users"][0]["changes"] == ["passwords"]


def test_typo_fails_naming_user_and_rule_and_changes_nothing(capsys, acl_server):
    before = acl_server.aclfile.read_text()
    out = run(capsys, acl_server, sidekiq(rules=["-@all", "+brpopp"]))
    assert out["failed"]
    assert out["msg"] == (
        "User sidekiq: the rule '+brpopp' names the command brpopp, unknown to "
        "this server."
    )
    assert acl_server.aclfile.read_text() == before


def test_login_user_cannot_be_deleted(capsys, acl_server):
    out = run(capsys, acl_server, [{"name": "admin", "state": "absent"}])
    assert out["failed"] and "login user" in out["msg"]
