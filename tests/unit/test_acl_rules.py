"""Rule parsing, validation against a server's lists, and comparison by meaning."""

from __future__ import annotations

import pytest
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.acl import (
    AclError,
    Catalog,
    allowed_commands,
    build_desired,
    parse_getuser,
    parse_rule,
    split_acl_line,
    validate_rules,
)

# A small server: two plain commands, one container with two subcommands.
CATALOG = Catalog(
    commands=frozenset(
        {"get", "set", "keys", "config", "config|get", "config|set", "lpush"}
    ),
    categories={
        "read": frozenset({"get", "config|get"}),
        "write": frozenset({"set", "lpush"}),
        "admin": frozenset({"config|get", "config|set"}),
        "dangerous": frozenset({"keys", "config|set", "config|get"}),
    },
    version="7.0.15",
)


@pytest.mark.parametrize(
    ("text", "allow", "kind", "name"),
    [
        ("+@all", True, "all", ""),
        ("allcommands", True, "all", ""),
        ("-@all", False, "all", ""),
        ("nocommands", False, "all", ""),
        ("+@read", True, "category", "read"),
        ("-@Dangerous", False, "category", "dangerous"),
        ("+GET", True, "command", "get"),
        ("-config", False, "command", "config"),
        ("+config|get", True, "command", "config|get"),
    ],
)
def test_parse_rule_accepts_redis_rule_forms(text, allow, kind, name):
    rule = parse_rule(text)
    assert (rule.allow, rule.kind, rule.name) == (allow, kind, name)


@pytest.mark.parametrize(
    "text", ["get", "+", "+@", "~*", "&*", "+@read|x", "on", ">secret", "+get x"]
)
def test_parse_rule_refuses_anything_else(text):
    with pytest.raises(ValueError):
        parse_rule(text)


def test_unknown_command_fails_naming_user_and_rule():
    with pytest.raises(AclError, match=r"User sidekiq: the rule '\+lpsuh' names"):
        validate_rules("sidekiq", ["-@all", "+lpsuh"], [], CATALOG)


def test_unknown_category_fails_naming_user_and_rule():
    with pytest.raises(AclError, match=r"User web: the rule '\+@raed'.*category"):
        validate_rules("web", ["+@raed"], [], CATALOG)


def test_unknown_subcommand_fails():
    with pytest.raises(AclError, match=r"config\|nosuch"):
        validate_rules("u", ["+config|nosuch"], [], CATALOG)


def test_optional_rules_unknown_to_the_server_are_skipped():
    kept, skipped = validate_rules(
        "u", ["-@all", "+get"], ["+hgetex", "-@newcategory", "+set"], CATALOG
    )
    assert kept == ["-@all", "+get", "+set"]
    assert skipped == ["+hgetex", "-@newcategory"]


def test_malformed_optional_rule_still_fails():
    with pytest.raises(AclError, match="'get'"):
        validate_rules("u", [], ["get"], CATALOG)


def test_allowed_commands_follows_redis_semantics():
    assert allowed_commands(["-@all"], CATALOG) == frozenset()
    assert allowed_commands(["+@all"], CATALOG) == CATALOG.commands
    # A container rule covers its subcommands; a subcommand rule only itself.
    assert allowed_commands(["+config"], CATALOG) == {
        "config",
        "config|get",
        "config|set",
    }
    assert allowed_commands(["+config", "-config|set"], CATALOG) == {
        "config",
        "config|get",
    }
    assert allowed_commands(["+@all", "-@dangerous", "+config|get"], CATALOG) == {
        "get",
        "set",
        "lpush",
        "config",
        "config|get",
    }


def test_different_texts_with_the_same_meaning_compare_equal():
    # Redis drops -keys after -@all and reorders rules when it stores them.
    declared = ["-@all", "+@read", "+lpush", "-keys", "-config|set"]
    rendered = "-@all +@read +lpush"
    assert allowed_commands(declared, CATALOG) == allowed_commands(
        rendered.split(), CATALOG
    )


def test_order_matters_where_redis_says_it_does():
    assert allowed_commands(["+@all", "-keys"], CATALOG) != allowed_commands(
        ["-keys", "+@all"], CATALOG
    )


def test_parse_getuser_reads_redis_7_replies():
    reply = [
        "flags", ["on", "sanitize-payload"],
        "passwords", ["a" * 64],
        "commands", "-@all +@read +lpush",
        "keys", "%RW~queue:* ~stat:*",
        "channels", "&*",
        "selectors", [],
    ]  # fmt: skip
    user = parse_getuser(reply)
    assert user.enabled and not user.nopass
    assert user.hashes == ["a" * 64]
    assert user.keys == {"~queue:*", "~stat:*"}
    assert user.channels == {"&*"}
    assert user.selectors == 0


def test_parse_getuser_reads_redis_6_flags_and_missing_user():
    reply = ["flags", ["off", "allkeys", "allchannels"], "passwords", [],
             "commands", "-@all", "keys", [], "channels", []]  # fmt: skip
    user = parse_getuser(reply)
    assert not user.enabled
    assert user.keys == {"~*"} and user.channels == {"&*"}
    assert parse_getuser(None) is None


def test_split_acl_line_keeps_selectors_whole():
    name, tokens = split_acl_line(
        "user t4 off #ab ~x resetchannels -@all (~y resetchannels -@all +get)"
    )
    assert name == "t4"
    assert tokens[-1] == "(~y resetchannels -@all +get)"
    assert tokens[:2] == ["off", "#ab"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "bad name"}, "letters, digits"),
        ({"name": "u", "passwords": []}, "enabled without a password"),
        ({"name": "u", "passwords": ["short"]}, "shorter than 16"),
        ({"name": "u", "passwords": ["p" * 20], "keys": ["queue:*"]}, "key pattern"),
        ({"name": "u", "passwords": ["p" * 20], "keys": ["~*", "~q"]}, "every key"),
        ({"name": "u", "passwords": ["p" * 20], "channels": ["c"]}, "channel"),
        ({"name": "u", "password_hashes": ["xyz"]}, "64 hexadecimal"),
    ],
)
def test_build_desired_refuses_bad_declarations(spec, message):
    with pytest.raises(AclError, match=message):
        build_desired(spec, CATALOG, min_length=16)


def test_disabled_user_may_have_no_password():
    desired = build_desired({"name": "u", "enabled": False}, CATALOG)
    assert desired.setuser_args()[:2] == ["reset", "off"]
