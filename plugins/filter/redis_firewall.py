"""Filter that turns the firewall's allow-list into nftables set elements."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any, Union

DOCUMENTATION = r"""
name: redis_firewall_sources
short_description: Resolve an allow-list of addresses, CIDRs and groups
version_added: 0.1.0
description:
  - Turns the entries of C(redis_firewall_allowed_sources) into the IPv4 and
    IPv6 elements of an nftables interval set.
  - An address or CIDR stands for itself; host bits of a CIDR are dropped.
    Any other entry must be an inventory group; each of its hosts stands for
    the addresses in its facts.
  - Overlapping entries are merged, as nftables refuses overlapping intervals.
options:
  _input:
    description: The allow-list.
    type: list
    elements: str
    required: true
  groups:
    description: The inventory's groups (the C(groups) variable).
    type: dict
    required: true
  hostvars:
    description: The C(hostvars) variable, to read each group host's facts.
    type: dict
    required: true
  facts:
    description:
      - C(default) reads C(default_ipv4.address) and C(default_ipv6.address);
        C(all) reads C(all_ipv4_addresses) and C(all_ipv6_addresses) and
        leaves out link-local and loopback addresses.
    type: str
    choices: [default, all]
    default: default
"""

EXAMPLES = r"""
- name: Resolve the allow-list
  ansible.builtin.set_fact:
    sources: >-
      {{ ['10.0.0.0/8', 'app_servers']
         | jobqueue.redis_hardening.redis_firewall_sources(groups, hostvars) }}
"""

RETURN = r"""
_value:
  description: The set elements, and what could not be resolved.
  type: dict
  contains:
    ipv4:
      description: IPv4 addresses and networks, merged and sorted.
      type: list
      elements: str
    ipv6:
      description: IPv6 addresses and networks, merged and sorted.
      type: list
      elements: str
    problems:
      description: One sentence for each entry or host without an address.
      type: list
      elements: str
"""

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


def parse_network(text: str) -> Network | None:
    """Return the network an address or CIDR stands for, or None."""
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        return None


def host_addresses(facts: Mapping[str, Any], mode: str) -> list[Network]:
    """Addresses of one host, read from its gathered facts."""
    if mode == "default":
        found = [
            (facts.get(key) or {}).get("address")
            for key in ("default_ipv4", "default_ipv6")
        ]
    else:
        found = list(facts.get("all_ipv4_addresses") or [])
        found += list(facts.get("all_ipv6_addresses") or [])
    networks = [parse_network(address) for address in found if address]
    return [
        network
        for network in networks
        if network is not None and not network.is_loopback and not network.is_link_local
    ]


def _element(network: Network) -> str:
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _merged(networks: Iterable[Network]) -> list[str]:
    return [_element(n) for n in ipaddress.collapse_addresses(sorted(networks))]


def redis_firewall_sources(
    sources: list[str],
    groups: Mapping[str, list[str]],
    hostvars: Mapping[str, Any],
    facts: str = "default",
) -> dict[str, list[str]]:
    """Resolve addresses, CIDRs and group names to nftables set elements."""
    if facts not in ("default", "all"):
        raise ValueError(f"facts must be 'default' or 'all', not {facts!r}")
    found: list[Network] = []
    problems: list[str] = []

    for source in sources:
        network = parse_network(source)
        if network is not None:
            found.append(network)
            continue
        if source not in groups:
            problems.append(
                f"'{source}' is neither an IP address, a CIDR nor an inventory group"
            )
            continue
        if not groups[source]:
            problems.append(f"group '{source}' has no hosts")
        for host in groups[source]:
            host_facts = (hostvars.get(host) or {}).get("ansible_facts") or {}
            addresses = host_addresses(host_facts, facts)
            if not addresses:
                problems.append(
                    f"host '{host}' of group '{source}' has no address in its"
                    f" facts ({facts} addresses)"
                )
            found.extend(addresses)

    return {
        "ipv4": _merged(n for n in found if n.version == 4),
        "ipv6": _merged(n for n in found if n.version == 6),
        "problems": problems,
    }


class FilterModule:
    """Filters of the redis_firewall role."""

    def filters(self) -> dict[str, Any]:
        return {"redis_firewall_sources": redis_firewall_sources}
