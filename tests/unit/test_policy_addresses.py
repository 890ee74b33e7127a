"""SSRF guard decisions, as tables: which hosts and addresses a crawl may connect to."""

from __future__ import annotations

import ipaddress

import pytest

from linkspider.policy.addresses import (
    AddressPolicy,
    host_address,
    parse_allow_setting,
    refusal_reason,
)

# (URL host as written, the address it denotes, why refused / None when public)
HOSTS = [
    ("127.0.0.1", "127.0.0.1", "loopback"),
    ("2130706433", "127.0.0.1", "loopback"),  # decimal
    ("0x7f.1", "127.0.0.1", "loopback"),  # hex, short form
    ("0177.0.0.1", "127.0.0.1", "loopback"),  # octal
    ("017700000001", "127.0.0.1", "loopback"),
    ("127.1", "127.0.0.1", "loopback"),
    ("10.1.2.3", "10.1.2.3", "private"),
    ("172.16.5.4", "172.16.5.4", "private"),
    ("192.168.1.1", "192.168.1.1", "private"),
    ("169.254.169.254", "169.254.169.254", "link-local"),  # cloud metadata
    ("0xa9fea9fe", "169.254.169.254", "link-local"),
    ("100.64.0.1", "100.64.0.1", "cgnat"),
    ("100.127.255.254", "100.127.255.254", "cgnat"),
    ("224.0.0.251", "224.0.0.251", "multicast"),
    ("0.0.0.0", "0.0.0.0", "unspecified"),
    ("0", "0.0.0.0", "unspecified"),
    ("240.0.0.1", "240.0.0.1", "reserved"),
    ("255.255.255.255", "255.255.255.255", "reserved"),
    ("192.0.2.10", "192.0.2.10", "reserved"),
    ("198.18.0.1", "198.18.0.1", "reserved"),
    ("[::1]", "::1", "loopback"),
    ("[::]", "::", "unspecified"),
    ("[fe80::1]", "fe80::1", "link-local"),
    ("[fd00::5]", "fd00::5", "private"),
    ("[ff02::1]", "ff02::1", "multicast"),
    ("[2001:db8::1]", "2001:db8::1", "reserved"),
    ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1", "loopback"),
    ("[::ffff:a9fe:a9fe]", "::ffff:169.254.169.254", "link-local"),
    ("[64:ff9b::a00:1]", "64:ff9b::10.0.0.1", "private"),  # NAT64
    ("[64:ff9b:1::1]", "64:ff9b:1::1", "private"),  # local-use NAT64
    ("[2002:7f00:1::]", "2002:7f00:1::", "loopback"),  # 6to4
    ("[::127.0.0.1]", "::127.0.0.1", "loopback"),  # IPv4-compatible
    ("8.8.8.8", "8.8.8.8", None),
    ("134744072", "8.8.8.8", None),  # numeric forms of public addresses are fine
    ("[2606:4700::1111]", "2606:4700::1111", None),
    ("[::ffff:8.8.8.8]", "::ffff:8.8.8.8", None),
    ("[64:ff9b::808:808]", "64:ff9b::8.8.8.8", None),
]


@pytest.mark.parametrize(("host", "address", "reason"), HOSTS)
def test_host_forms_and_refusal(host: str, address: str, reason: str | None) -> None:
    found = host_address(host)
    assert found == ipaddress.ip_address(address)
    assert refusal_reason(found) == reason


@pytest.mark.parametrize("host", ["example.com", "localhost", "127.0.0.1.nip.io", "", "256.1.1.1",
                                  "xn--bcher-kva.de", "1.2.3.4.5", "example.com.", "a.0xg",
                                  "10.0.0.1x", "x1.2.3.4", "hiking-site1.blog"])  # fmt: skip
def test_names_are_not_addresses(host: str) -> None:
    assert host_address(host) is None  # DNS names are checked when resolved


# Hosts that look almost like names but denote addresses: never taken for a name by the
# quick test of plain names (percent-encoding, full-width digits, a numeric last label).
@pytest.mark.parametrize(("host", "address"), [
    ("%31%32%37.0.0.1", "127.0.0.1"), ("\uff11\uff12\uff17.0.0.1", "127.0.0.1"),
    ("0X7F.0.0.1", "127.0.0.1"), ("127.0.0.1.", "127.0.0.1"), ("[::1]", "::1"),
    ("0x7f000001", "127.0.0.1"),
])  # fmt: skip
def test_disguised_addresses_are_addresses(host: str, address: str) -> None:
    assert host_address(host) == ipaddress.ip_address(address)


# (setting value, address, allowed?)
ALLOW = [
    (False, "127.0.0.1", False),
    ("false", "10.0.0.1", False),
    (None, "10.0.0.1", False),
    (True, "169.254.169.254", True),
    ("true", "127.0.0.1", True),
    ("127.0.0.0/8", "127.0.0.1", True),
    ("127.0.0.0/8", "127.8.9.1", True),
    ("127.0.0.0/8", "::ffff:127.0.0.1", True),  # the mapped form of an allowed address
    ("127.0.0.0/8", "::1", False),
    ("127.0.0.0/8", "169.254.169.254", False),
    ("127.0.0.0/8", "8.8.8.8", True),  # public addresses are always allowed
    ("10.0.0.0/8, 192.168.0.0/16", "192.168.4.4", True),
    ("10.0.0.0/8 192.168.0.0/16", "172.16.0.1", False),
    ('["10.0.0.0/8", "::1/128"]', "::1", True),
    (["10.0.0.0/8"], "10.9.9.9", True),
    ("10.1.2.3", "10.1.2.3", True),  # a bare address is a /32
    ("10.1.2.3", "10.1.2.4", False),
]


@pytest.mark.parametrize(("value", "address", "allowed"), ALLOW)
def test_allow_private_networks_setting(value: object, address: str, allowed: bool) -> None:
    policy = parse_allow_setting(value)
    assert (policy.check(ipaddress.ip_address(address)) is None) is allowed


@pytest.mark.parametrize(("value", "message"), [("10.0.0.0/33", "not a network"),
                                                ("[1, 2]", "not a network"),
                                                ("[not json", "not a JSON list"),
                                                ("intranet", "not a network"),
                                                (3.5, "expected true, false")])  # fmt: skip
def test_bad_allow_setting_says_what_is_wrong(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_allow_setting(value)


def test_refusal_message_names_address_and_reason() -> None:
    assert AddressPolicy().check(ipaddress.ip_address("10.0.0.7")) == "private 10.0.0.7"
    mapped = ipaddress.ip_address("::ffff:a9fe:a9fe")
    assert AddressPolicy().check(mapped) == "link-local 169.254.169.254 (as IPv6 ::ffff:a9fe:a9fe)"
    assert parse_allow_setting("127.0.0.0/8,10.0.0.0/8").describe() == "127.0.0.0/8,10.0.0.0/8"
