"""The redis_tls role's interface: both entry points' argument specs agree
with the defaults file, and the options the two share are described alike."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles" / "redis_tls"
SPECS = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())[
    "argument_specs"
]
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
OPTIONS = {**SPECS["main"]["options"], **SPECS["client"]["options"]}
# Defaults that follow another role's variable; the spec gives the value
# they take when that variable is unset.
FOLLOWING = {
    "redis_tls_ca_dir",
    "redis_tls_server_dir",
    "redis_tls_server_package",
    "redis_tls_login_unix_socket",
    "redis_tls_login_user",
    "redis_tls_login_password",
    "redis_tls_clients",
}


def test_every_default_has_a_spec_and_back():
    documented = {name for name, spec in OPTIONS.items() if "default" in spec}
    assert set(DEFAULTS) == documented


@pytest.mark.parametrize("name", sorted(set(DEFAULTS) - FOLLOWING))
def test_spec_default_matches_defaults_file(name):
    assert OPTIONS[name]["default"] == DEFAULTS[name]


@pytest.mark.parametrize("name", sorted(FOLLOWING))
def test_following_defaults_name_what_they_follow(name):
    value = DEFAULTS[name]
    assert isinstance(value, str) and "{{" in value, value


def test_shared_options_are_the_same_in_both_entry_points():
    shared = set(SPECS["main"]["options"]) & set(SPECS["client"]["options"])
    assert "redis_tls_ca_passphrase" in shared
    for name in shared:
        assert SPECS["main"]["options"][name] == SPECS["client"]["options"][name], name


def test_secrets_are_never_logged():
    for name in (
        "redis_tls_ca_passphrase",
        "redis_tls_server_key",
        "redis_tls_login_password",
    ):
        assert OPTIONS[name].get("no_log") is True, name
