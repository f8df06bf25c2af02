"""NET-01 and NET-02: who can reach the server, checked from the other hosts."""

from conftest import REDIS_PORT, redis_cli

WILDCARDS = {"0.0.0.0", "*", "[::]", "::"}


def listening_addresses(host) -> set[str]:
    lines = host.check_output(f"ss -Hltn 'sport = :{REDIS_PORT}'").splitlines()
    addresses = set()
    for line in lines:
        local = line.split()[3]
        addresses.add(local.rsplit(":", 1)[0].strip("[]"))
    return addresses


def test_NET_01_listens_on_inventory_addresses_only(redis_server):
    addresses = listening_addresses(redis_server.host)
    assert not addresses & WILDCARDS, f"Redis listens on a wildcard: {addresses}"
    assert "127.0.0.1" in addresses
    assert redis_server.address in addresses
    allowed = {"127.0.0.1", "::1", redis_server.address}
    assert addresses <= allowed, f"unexpected listeners: {addresses - allowed}"


def test_NET_01_config_binds_explicit_addresses(admin):
    reply = admin("CONFIG", "GET", "bind").splitlines()
    binds = reply[1].split()
    assert binds, "bind is empty"
    assert not {b.lstrip("-") for b in binds} & WILDCARDS


def test_NET_01_app_host_reaches_redis_on_its_address(app_host, redis_server):
    reply = redis_cli(app_host, "PING", address=redis_server.address)
    # Reachable, and asked to authenticate (AUTH-01).
    assert "NOAUTH" in reply


def test_NET_02_protected_mode_is_on(admin):
    assert admin("CONFIG", "GET", "protected-mode").splitlines() == [
        "protected-mode",
        "yes",
    ]
