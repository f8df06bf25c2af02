"""NET-01 on a server with IPv6 switched off (sysctl disable_ipv6=1)."""

from __future__ import annotations


def listening_addresses(host, port: int = 6379) -> set[str]:
    lines = host.check_output(f"ss -Hltn 'sport = :{port}'").splitlines()
    return {line.split()[3].rsplit(":", 1)[0].strip("[]") for line in lines}


def test_NET_01_server_really_has_ipv6_switched_off(server):
    assert server.host.sysctl("net.ipv6.conf.all.disable_ipv6") == 1
    assert server.host.run("ip -6 addr show").stdout.strip() == ""


def test_NET_01_inventory_asks_for_optional_ipv6_loopback(server):
    # The point of this scenario: -::1 is in the bind list, yet ::1 is absent.
    assert "-::1" in server.variables["redis_server_bind_addresses"]


def test_NET_01_redis_runs_and_listens_on_inventory_ipv4_only(server):
    assert server.host.service("redis-server").is_running
    addresses = listening_addresses(server.host)
    assert addresses == {"127.0.0.1", server.address}
