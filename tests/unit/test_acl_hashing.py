"""Passwords become SHA-256 hashes; no secret or hash reaches a diff."""

from __future__ import annotations

import hashlib
import string

import pytest
from ansible_collections.jobqueue.redis_hardening.plugins.module_utils.acl import (
    Catalog,
    build_desired,
    describe,
    hash_password,
    parse_getuser,
)

CATALOG = Catalog(
    commands=frozenset({"get", "set", "lpush"}),
    categories={"read": frozenset({"get"}), "write": frozenset({"set", "lpush"})},
)

# Every printable ASCII character, space included, and some beyond ASCII.
PASSWORDS = [
    string.printable.strip(),
    " leading and trailing spaces ",
    "quotes ' \" ` and backslash \\ and dollar $HOME and hash #",
    ">looks-like-a-rule ~* &* +@all",
    "unicode päßwörd ключ 密码 🔑 padding",
    *(f"{c * 20}" for c in string.punctuation),
]


@pytest.mark.parametrize("password", PASSWORDS)
def test_hash_is_sha256_of_utf8(password):
    assert hash_password(password) == hashlib.sha256(password.encode()).hexdigest()
    assert len(hash_password(password)) == 64


@pytest.mark.parametrize("password", PASSWORDS)
def test_setuser_sends_only_the_hash(password):
    desired = build_desired(
        {"name": "u", "passwords": [password], "rules": ["+get"]}, CATALOG
    )
    args = desired.setuser_args()
    assert f"#{hash_password(password)}" in args
    assert not any(password in arg for arg in args)
    assert not any(arg.startswith(">") for arg in args)


def test_same_password_twice_is_one_hash():
    desired = build_desired(
        {
            "name": "u",
            "passwords": ["p" * 20, "p" * 20],
            "password_hashes": [hash_password("p" * 20).upper()],
        },
        CATALOG,
    )
    assert desired.hashes == [hash_password("p" * 20)]


def _current(hashes):
    return parse_getuser(
        [
            "flags",
            ["on"],
            "passwords",
            hashes,
            "commands",
            "-@all +get",
            "keys",
            "~*",
            "channels",
            "",
            "selectors",
            [],
        ]
    )


@pytest.mark.parametrize("password", PASSWORDS)
def test_diff_counts_hashes_and_shows_neither_password_nor_hash(password):
    old = "old password value 1234567890"
    current = _current([hash_password(old)])
    desired = build_desired(
        {
            "name": "u",
            "passwords": [old, password],
            "keys": ["~*"],
            "rules": ["-@all", "+get"],
        },
        CATALOG,
    )
    text = describe(current, desired, CATALOG)
    both = text["before"] + text["after"]
    assert "password hashes: 1\n" in text["before"]
    assert "password hashes: 2\n" in text["after"]
    for secret in (old, password, hash_password(old), hash_password(password)):
        assert secret not in both


def test_diff_says_replaced_when_the_count_stays():
    current = _current([hash_password("a" * 20)])
    desired = build_desired(
        {"name": "u", "passwords": ["b" * 20], "keys": ["~*"], "rules": ["+get"]},
        CATALOG,
    )
    assert (
        "password hashes: 1 (replaced)" in describe(current, desired, CATALOG)["after"]
    )


def test_diff_keeps_the_server_rendering_when_rules_mean_the_same():
    current = _current([hash_password("a" * 20)])
    desired = build_desired(
        {
            "name": "u",
            "passwords": ["b" * 20],
            "keys": ["~*"],
            "rules": ["-@all", "+get", "-set"],
        },
        CATALOG,
    )
    text = describe(current, desired, CATALOG)
    assert "commands: -@all +get\n" in text["after"]
