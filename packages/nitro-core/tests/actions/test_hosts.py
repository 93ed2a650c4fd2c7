"""Allowed hosts: patterns, settings, and the misconfiguration check (no server needed)."""

import logging

import pytest

from nitro.actions import AllowedHosts, AllowedHostsRequired, DisallowedHost, build_action_app
from nitro.actions.hosts import ALLOWED_HOSTS_ENV, LOOPBACK_HOSTS, is_loopback_address, split_host
from nitro.actions.request import ActionRequest


def post(host: str | None, server: str | None = None, method: str = "POST") -> ActionRequest:
    headers = {} if host is None else {"host": host}
    return ActionRequest(method=method, headers=headers, server=server)


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Example.COM", "example.com"),
        ("example.com:8000", "example.com"),
        ("example.com.", "example.com"),
        ("[::1]:8000", "[::1]"),
        ("127.0.0.1:80", "127.0.0.1"),
        ("exa mple.com", None),
        ("example.com:port", None),
        ("evil.com/x", None),
        ("", None),
    ],
)
def test_split_host(header, name):
    assert split_host(header) == name


def test_exact_names_subdomain_wildcards_and_ports():
    hosts = AllowedHosts(["Example.com:8443", ".shop.test", "[::1]"])
    assert hosts.patterns == ("example.com", ".shop.test", "[::1]")
    for allowed in ("example.com", "EXAMPLE.com:80", "shop.test", "a.b.shop.test:8000", "[::1]:1"):
        assert hosts.allows(allowed), allowed
    for refused in ("www.example.com", "evilshop.test", "shop.test.evil", "localhost", "::1"):
        assert not hosts.allows(refused), refused


def test_star_allows_every_valid_host():
    hosts = AllowedHosts(["*"])
    assert hosts.allows("anything.example:1234")
    assert not hosts.allows("not a host")


def test_bare_ipv6_pattern_is_bracketed():
    assert AllowedHosts(["::1"]).allows("[::1]:8000")


def test_settings_argument_then_environment_then_loopback_default():
    environ = {ALLOWED_HOSTS_ENV: " a.example , .b.example ,, "}
    assert AllowedHosts.from_settings(["x.example"], environ).patterns == ("x.example",)
    from_env = AllowedHosts.from_settings(None, environ)
    assert (from_env.patterns, from_env.configured) == (("a.example", ".b.example"), True)
    default = AllowedHosts.from_settings([], {})
    assert default.configured is False
    assert default.patterns == LOOPBACK_HOSTS
    for host in ("localhost:5000", "app.localhost", "127.0.0.1", "[::1]", "testserver"):
        assert default.allows(host), host


def test_a_string_is_refused_with_the_fix():
    with pytest.raises(TypeError, match=r"\['example.com'\]"):
        AllowedHosts.from_settings("example.com")


def test_environment_is_read_when_the_app_is_configured(monkeypatch):
    monkeypatch.setenv(ALLOWED_HOSTS_ENV, "api.example")
    app = build_action_app(entities=[])
    monkeypatch.setenv(ALLOWED_HOSTS_ENV, "other.example")
    assert app.allowed_hosts is not None
    assert app.allowed_hosts.patterns == ("api.example",)
    assert build_action_app(entities=[], allowed_hosts=["z.example"]).allowed_hosts.patterns == (
        "z.example",
    )


def test_check_refuses_only_state_changing_requests_for_foreign_hosts(caplog):
    hosts = AllowedHosts(["app.example"])
    hosts.check(post("app.example:443"))
    hosts.check(post("evil.example", method="GET"))
    hosts.check(post(None))  # no Host: not a browser, nothing to rebind
    with caplog.at_level(logging.WARNING, logger="nitro.security"):
        for _ in range(3):
            with pytest.raises(DisallowedHost) as refused:
                hosts.check(post("evil.example"))
    assert refused.value.status == 400
    assert "NITRO_ALLOWED_HOSTS" in refused.value.detail
    assert len([r for r in caplog.records if "evil.example" in r.getMessage()]) == 1


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("testserver", True),
        ("/run/app.sock", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.0.2.10", False),
        ("app.internal", False),
    ],
)
def test_is_loopback_address(address, loopback):
    assert is_loopback_address(address) is loopback


def test_default_on_a_public_address_refuses_writes_and_logs_the_fix_once(caplog):
    hosts = AllowedHosts.from_settings(None, {})
    with caplog.at_level(logging.ERROR, logger="nitro.security"):
        hosts.check(post("localhost", server="0.0.0.0", method="GET"))  # reads still work
        for _ in range(2):
            with pytest.raises(AllowedHostsRequired) as error:
                hosts.check(post("localhost", server="0.0.0.0"))
    assert error.value.status == 500
    [record] = caplog.records
    assert "NITRO_ALLOWED_HOSTS" in record.getMessage()
    assert "allowed_hosts=" in record.getMessage()
    assert "0.0.0.0" in record.getMessage()
    # configured explicitly: a public address is fine
    AllowedHosts(["localhost"]).check(post("localhost", server="0.0.0.0"))
    # the default on loopback (or an unknown address) is fine too
    hosts.check(post("localhost:8000", server="127.0.0.1"))
    hosts.check(post("localhost:8000", server=None))
