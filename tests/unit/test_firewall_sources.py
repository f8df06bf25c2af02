"""The redis_firewall_sources filter: allow-list entries to nftables elements."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO_ROOT / ".collections"
LINK = COLLECTIONS / "ansible_collections" / "jobqueue" / "redis_hardening"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(REPO_ROOT, target_is_directory=True)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.jobqueue.redis_hardening.plugins.filter.redis_firewall import (
    FilterModule,
    redis_firewall_sources,
)

GROUPS = {
    "all": ["app1", "app2", "v6only", "bare"],
    "app_servers": ["app1", "app2"],
    "v6_servers": ["v6only"],
    "unresolved": ["bare"],
    "empty": [],
}

HOSTVARS = {
    "app1": {
        "ansible_facts": {
            "default_ipv4": {"address": "10.89.0.5"},
            "all_ipv4_addresses": ["10.89.0.5", "172.16.0.5"],
            "all_ipv6_addresses": ["fe80::1", "2001:db8::5"],
        }
    },
    "app2": {"ansible_facts": {"default_ipv4": {"address": "10.89.0.6"}}},
    "v6only": {
        "ansible_facts": {
            "default_ipv4": {},
            "default_ipv6": {"address": "2001:db8::7"},
        }
    },
    "bare": {},
}


def resolve(sources, facts="default"):
    return redis_firewall_sources(sources, GROUPS, HOSTVARS, facts)


def test_addresses_and_cidrs_stand_for_themselves():
    result = resolve(["192.0.2.1", "198.51.100.0/24", "2001:db8:1::/48", "::1"])
    assert result == {
        "ipv4": ["192.0.2.1", "198.51.100.0/24"],
        "ipv6": ["::1", "2001:db8:1::/48"],
        "problems": [],
    }


def test_host_bits_of_a_cidr_are_dropped():
    assert resolve(["10.89.0.5/16"])["ipv4"] == ["10.89.0.0/16"]


def test_group_resolves_to_default_addresses_of_its_hosts():
    result = resolve(["app_servers"])
    assert result["ipv4"] == ["10.89.0.5", "10.89.0.6"]
    assert result["ipv6"] == []
    assert result["problems"] == []


def test_group_host_without_ipv4_counts_with_its_ipv6_address():
    result = resolve(["v6_servers"])
    assert result["ipv4"] == []
    assert result["ipv6"] == ["2001:db8::7"]


def test_all_mode_takes_every_global_address_but_link_local():
    result = resolve(["app_servers"], facts="all")
    assert result["ipv4"] == ["10.89.0.5", "172.16.0.5"]
    assert result["ipv6"] == ["2001:db8::5"]
    # app2's facts hold a default address only: "all" does not fall back.
    assert result["problems"] == [
        "host 'app2' of group 'app_servers' has no address in its facts (all addresses)"
    ]


def test_overlapping_entries_are_merged_for_nftables():
    # nftables refuses an interval set whose elements overlap.
    result = resolve(["10.89.0.0/16", "app_servers", "10.89.0.5"])
    assert result["ipv4"] == ["10.89.0.0/16"]


def test_adjacent_networks_are_joined():
    assert resolve(["10.0.0.0/25", "10.0.0.128/25"])["ipv4"] == ["10.0.0.0/24"]


@pytest.mark.parametrize(
    "entry", ["10.0.0.300", "10.0.0.1/33", "app-servers", "", "2001:db8::g"]
)
def test_unknown_entry_is_reported_by_value(entry):
    result = resolve(["app_servers", entry])
    assert result["problems"] == [
        f"'{entry}' is neither an IP address, a CIDR nor an inventory group"
    ]
    assert result["ipv4"] == ["10.89.0.5", "10.89.0.6"]


def test_group_host_without_address_facts_is_named():
    result = resolve(["unresolved"])
    assert result["problems"] == [
        "host 'bare' of group 'unresolved' has no address in its facts"
        " (default addresses)"
    ]


def test_empty_group_is_reported():
    assert resolve(["empty"])["problems"] == ["group 'empty' has no hosts"]


def test_empty_allow_list_admits_nobody():
    assert resolve([]) == {"ipv4": [], "ipv6": [], "problems": []}


def test_unknown_facts_mode_is_refused():
    with pytest.raises(ValueError, match="facts must be"):
        resolve(["app_servers"], facts="some")


def test_filter_is_registered_under_its_name():
    assert FilterModule().filters()["redis_firewall_sources"] is (
        redis_firewall_sources
    )
