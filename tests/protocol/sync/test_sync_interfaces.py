"""Broadcast address discovery: pure cases, the `ip` parser, and this host (computed only).

Nothing here sends a datagram: the discovered addresses are compared, never used.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from protocol.sync import interfaces
from protocol.sync.interfaces import (
    IFF_BROADCAST,
    IFF_LOOPBACK,
    IFF_POINTOPOINT,
    IFF_UP,
    InterfaceAddress,
    broadcast_address,
    broadcast_addresses,
    interface_addresses,
    parse_ip_addr,
)


@pytest.fixture
def no_sending(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make any attempt to send through a Python socket fail the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("interface discovery tried to send")

    for name in ("send", "sendto", "sendall", "sendmsg", "connect"):
        monkeypatch.setattr(socket.socket, name, refuse)
    yield


@pytest.mark.parametrize(
    ("ip", "netmask", "expected"),
    [
        ("192.168.1.17", "255.255.255.0", "192.168.1.255"),
        ("192.168.1.17", "24", "192.168.1.255"),
        ("10.1.2.3", "255.0.0.0", "10.255.255.255"),
        ("172.16.5.4", "255.255.240.0", "172.16.15.255"),
        ("10.0.0.129", "255.255.255.128", "10.0.0.255"),
        ("10.0.0.5", "255.255.255.254", "10.0.0.5"),
        ("10.0.0.5", "255.255.255.255", "10.0.0.5"),
        ("1.2.3.4", "0.0.0.0", "255.255.255.255"),
    ],
)
def test_broadcast_address(ip: str, netmask: str, expected: str) -> None:
    assert broadcast_address(ip, netmask) == expected


def test_broadcast_address_rejects_junk() -> None:
    with pytest.raises(ValueError):
        broadcast_address("10.0.0.300", "255.0.0.0")


IP_OUTPUT = """\
1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\\       valid_lft forever
2: eth0    inet 10.0.1.5/16 brd 10.0.255.255 scope global secondary eth0:1\\       valid_lft
3: tun0    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0\\       valid_lft forever
4: wg0    inet 10.9.0.1/24 scope global wg0\\       valid_lft forever
garbage line
"""


def test_parse_ip_addr() -> None:
    found = parse_ip_addr(IP_OUTPUT)
    assert found == [
        InterfaceAddress("lo", "127.0.0.1", "255.0.0.0", IFF_UP | IFF_LOOPBACK),
        InterfaceAddress(
            "eth0", "10.0.0.5", "255.255.255.0", IFF_UP | IFF_BROADCAST, "10.0.0.255"
        ),
        InterfaceAddress(
            "eth0", "10.0.1.5", "255.255.0.0", IFF_UP | IFF_BROADCAST, "10.0.255.255"
        ),
        InterfaceAddress(
            "tun0", "10.8.0.1", "255.255.255.255", IFF_UP | IFF_POINTOPOINT, None, "10.8.0.2"
        ),
        InterfaceAddress("wg0", "10.9.0.1", "255.255.255.0", IFF_UP),
    ]
    # As EPICS: no loopback, broadcast or peer address, nothing for wg0 (neither).
    assert [iface.search_address for iface in found] == [
        None,
        "10.0.0.255",
        "10.0.255.255",
        "10.8.0.2",
        None,
    ]


@pytest.mark.parametrize(
    ("flags", "broadcast", "expected"),
    [
        (IFF_UP | IFF_BROADCAST, "10.0.0.255", "10.0.0.255"),
        (IFF_BROADCAST, "10.0.0.255", None),  # down
        (IFF_UP | IFF_BROADCAST | IFF_LOOPBACK, "10.0.0.255", None),
        (IFF_UP | IFF_BROADCAST, "0.0.0.0", None),  # EPICS skips an unset broadcast address
        (IFF_UP | IFF_BROADCAST, None, None),
    ],
)
def test_search_address_selection(flags: int, broadcast: str | None, expected: str | None) -> None:
    iface = InterfaceAddress("x", "10.0.0.1", "255.255.255.0", flags, broadcast)
    assert iface.search_address == expected


def test_broadcast_addresses_deduplicates(monkeypatch: pytest.MonkeyPatch) -> None:
    same = InterfaceAddress("a", "10.0.0.1", "255.255.255.0", IFF_UP | IFF_BROADCAST, "10.0.0.255")
    other = InterfaceAddress(
        "b", "10.0.0.2", "255.255.255.0", IFF_UP | IFF_BROADCAST, "10.0.0.255"
    )
    monkeypatch.setattr(interfaces, "interface_addresses", lambda: [same, other])
    assert broadcast_addresses() == ["10.0.0.255"]


def test_this_host_without_sending(no_sending: None) -> None:
    found = interface_addresses()
    addresses = broadcast_addresses()
    for iface in found:
        ipaddress.IPv4Address(iface.address)
        ipaddress.IPv4Address(iface.netmask)
    for address in addresses:
        assert not ipaddress.IPv4Address(address).is_loopback
    # A normal broadcast interface's address is its subnet's broadcast address.
    for iface in found:
        if iface.search_address is not None and iface.flags & IFF_BROADCAST:
            assert iface.broadcast == broadcast_address(iface.address, iface.netmask)
            assert iface.broadcast in addresses


def test_ioctl_agrees_with_ip_command(no_sending: None) -> None:
    # iproute2's `ip` is part of the machine image this project runs on.
    assert shutil.which("ip") is not None, "this cross-check needs iproute2's `ip`"
    listed = subprocess.run(
        ["ip", "-o", "-4", "addr", "show", "up"], capture_output=True, text=True, check=True
    ).stdout
    from_ip = {a.search_address for a in parse_ip_addr(listed)} - {None}
    assert set(broadcast_addresses()) == from_ip


def test_falls_back_to_ip_command_when_ioctl_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> list[InterfaceAddress]:
        raise OSError("no ioctls here")

    monkeypatch.setattr(interfaces, "_ioctl_interfaces", broken)
    monkeypatch.setattr(interfaces, "_ip_command_interfaces", lambda: parse_ip_addr(IP_OUTPUT))
    assert broadcast_addresses() == ["10.0.0.255", "10.0.255.255", "10.8.0.2"]


def test_nothing_found_is_an_empty_list(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError("ip")

    monkeypatch.setattr(interfaces, "_ioctl_interfaces", lambda: [])
    assert broadcast_addresses() == []
    monkeypatch.setattr(subprocess, "run", missing)
    assert interfaces._ip_command_interfaces() == []
