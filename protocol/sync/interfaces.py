"""Local IPv4 interfaces and their broadcast addresses, found without sending anything.

EPICS_CA_AUTO_ADDR_LIST=YES adds these addresses to the search list. The
selection follows EPICS Base's ``osiSockDiscoverBroadcastAddresses``: every
interface that is up and is not a loopback interface contributes its
broadcast address (or, for a point-to-point link, its peer address);
interfaces whose broadcast address is 0.0.0.0 are skipped. Loopback is always
skipped here; it is libca's caller (``configureChannelAccessAddressList``)
that falls back to 127.0.0.1 when nothing is found, and
:func:`protocol.sync.config.search_destinations` does the same.

On Linux the interfaces are read with the SIOCGIFCONF, SIOCGIFFLAGS,
SIOCGIFNETMASK, SIOCGIFBRDADDR and SIOCGIFDSTADDR ioctls on a UDP socket that
is only used for the ioctls; elsewhere, or if that fails, the output of
``ip -o -4 addr show up`` is parsed.
"""

from __future__ import annotations

import ctypes
import socket
import sys
from typing import NamedTuple

from .lazylog import get_logger

# ipaddress, re and subprocess are imported where used: the ioctl path that
# every search on Linux takes needs none of them, and they (and dataclasses)
# cost ~10 ms of a command-line tool's start-up with EPICS_CA_AUTO_ADDR_LIST=YES.

__all__ = [
    "InterfaceAddress",
    "broadcast_address",
    "broadcast_addresses",
    "interface_addresses",
    "parse_ip_addr",
]

log = get_logger(__name__)

# <linux/sockios.h> and <net/if.h>
_SIOCGIFCONF = 0x8912
_SIOCGIFFLAGS = 0x8913
_SIOCGIFDSTADDR = 0x8917
_SIOCGIFBRDADDR = 0x8919
_SIOCGIFNETMASK = 0x891B
IFF_UP = 0x1
IFF_BROADCAST = 0x2
IFF_LOOPBACK = 0x8
IFF_POINTOPOINT = 0x10
_MAX_INTERFACES = 128  # EPICS reads at most 100


class InterfaceAddress(NamedTuple):
    """One IPv4 address of a local interface (immutable, compared by value).

    Attributes
    ----------
    name : str
        Interface name (``eth0``, or a label such as ``eth0:1``).
    address, netmask : str
        Dotted quads.
    flags : int
        ``IFF_*`` bits (up, broadcast, loopback, point-to-point, ...).
    broadcast : str or None
        Broadcast address, for a broadcast-capable interface.
    peer : str or None
        Remote address, for a point-to-point interface.
    """

    name: str
    address: str
    netmask: str
    flags: int
    broadcast: str | None = None
    peer: str | None = None

    @property
    def search_address(self) -> str | None:
        """Where EPICS would send searches through this interface, or None to skip it."""
        if not self.flags & IFF_UP or self.flags & IFF_LOOPBACK:
            return None
        if self.flags & IFF_BROADCAST:
            return self.broadcast if self.broadcast not in (None, "0.0.0.0") else None
        if self.flags & IFF_POINTOPOINT:
            return self.peer
        return None


def broadcast_address(ip: str, netmask: str) -> str:
    """The directed broadcast address of the subnet of ``ip``.

    Parameters
    ----------
    ip : str
        An IPv4 address, e.g. ``"192.168.1.17"``.
    netmask : str
        Its netmask, dotted (``"255.255.255.0"``) or as a prefix length (``"24"``).

    Returns
    -------
    str
        ``ip`` with every host bit set, e.g. ``"192.168.1.255"``.
    """
    import ipaddress

    return str(ipaddress.IPv4Interface(f"{ip}/{netmask}").network.broadcast_address)


def broadcast_addresses() -> list[str]:
    """The broadcast address of every up, non-loopback local IPv4 interface.

    Returns
    -------
    list of str
        Dotted quads without duplicates, in interface order; empty when no
        such interface exists (the caller decides the fallback). Nothing is
        sent anywhere to find them.
    """
    found = (iface.search_address for iface in interface_addresses())
    return list(dict.fromkeys(addr for addr in found if addr is not None))


def interface_addresses() -> list[InterfaceAddress]:
    """The IPv4 addresses of the local interfaces, as the system lists them.

    Returns
    -------
    list of InterfaceAddress
        Read with ioctls on Linux, else from ``ip -o -4 addr show up`` (which
        lists only interfaces that are up); empty if neither works. Check
        ``flags`` (or use ``search_address``) before using an entry.
    """
    if sys.platform.startswith("linux"):
        try:
            return _ioctl_interfaces()
        except OSError as exc:
            log.warning("reading interfaces with ioctl failed (%s); trying `ip addr`", exc)
    return _ip_command_interfaces()


# -- Linux ioctls ------------------------------------------------------------
# ctypes mirrors of <net/if.h>, so that sizes and padding match the C ABI of
# this platform (struct ifreq is 40 bytes on 64-bit Linux, 32 on 32-bit).


class _SockAddr(ctypes.Structure):
    _fields_ = [("family", ctypes.c_ushort), ("data", ctypes.c_ubyte * 14)]


class _IfMap(ctypes.Structure):
    _fields_ = [
        ("mem_start", ctypes.c_ulong),
        ("mem_end", ctypes.c_ulong),
        ("base_addr", ctypes.c_ushort),
        ("irq", ctypes.c_ubyte),
        ("dma", ctypes.c_ubyte),
        ("port", ctypes.c_ubyte),
    ]


class _IfReqData(ctypes.Union):
    _fields_ = [
        ("addr", _SockAddr),
        ("flags", ctypes.c_short),
        ("ivalue", ctypes.c_int),
        ("map", _IfMap),
        ("name", ctypes.c_char * 16),
        ("data", ctypes.c_void_p),
    ]


class _IfReq(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * 16), ("u", _IfReqData)]


class _IfConf(ctypes.Structure):
    _fields_ = [("len", ctypes.c_int), ("buf", ctypes.c_void_p)]


def _ipv4(addr: _SockAddr) -> str | None:
    if addr.family != socket.AF_INET:
        return None
    # sockaddr_in: 2-byte port, then the address in network order.
    return socket.inet_ntoa(bytes(addr.data[2:6]))


def _ioctl_interfaces() -> list[InterfaceAddress]:
    import fcntl  # not on Windows; only reached on Linux

    requests = (_IfReq * _MAX_INTERFACES)()
    conf = _IfConf(ctypes.sizeof(requests), ctypes.addressof(requests))
    out: list[InterfaceAddress] = []
    # Only ioctls go through this socket; it is never bound, connected or sent on.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fd = sock.fileno()
        fcntl.ioctl(fd, _SIOCGIFCONF, conf)
        for listed in requests[: conf.len // ctypes.sizeof(_IfReq)]:
            address = _ipv4(listed.u.addr)
            if address is None:
                continue
            name = listed.name.decode(errors="replace")

            def query(request: int, listed: _IfReq = listed) -> _IfReq:
                req = _IfReq(listed.name)
                fcntl.ioctl(fd, request, req)
                return req

            try:
                flags = query(_SIOCGIFFLAGS).u.flags & 0xFFFF
                netmask = _ipv4(query(_SIOCGIFNETMASK).u.addr) or "0.0.0.0"
                broadcast = _ipv4(query(_SIOCGIFBRDADDR).u.addr) if flags & IFF_BROADCAST else None
                peer = _ipv4(query(_SIOCGIFDSTADDR).u.addr) if flags & IFF_POINTOPOINT else None
            except OSError as exc:  # the interface went away meanwhile
                log.debug("skipping interface %s: %s", name, exc)
                continue
            out.append(InterfaceAddress(name, address, netmask, flags, broadcast, peer))
    return out


# -- `ip` fallback -------------------------------------------------------------

_IP_LINE = (
    r"^\d+:\s+(?P<name>\S+)\s+inet\s+(?P<addr>[\d.]+)(?:/(?P<prefix>\d+))?"
    r"(?:\s+peer\s+(?P<peer>[\d.]+)(?:/\d+)?)?(?:\s+brd\s+(?P<brd>[\d.]+))?"
)


def parse_ip_addr(text: str) -> list[InterfaceAddress]:
    """Parse the output of ``ip -o -4 addr show up``.

    Parameters
    ----------
    text : str
        One line per address, e.g.
        ``2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0``.

    Returns
    -------
    list of InterfaceAddress
        Flags are inferred: every listed interface is up; 127.0.0.0/8 is
        loopback; a ``peer`` makes it point-to-point; a ``brd`` makes it
        broadcast-capable. Lines that do not parse are ignored.
    """
    import ipaddress
    import re

    ip_line = re.compile(_IP_LINE)
    out: list[InterfaceAddress] = []
    for line in text.splitlines():
        match = ip_line.match(line.strip())
        if match is None:
            continue
        address = match["addr"]
        prefix = match["prefix"] or "32"
        try:
            netmask = str(ipaddress.IPv4Interface(f"{address}/{prefix}").netmask)
        except ValueError:
            continue
        flags = IFF_UP
        if ipaddress.IPv4Address(address).is_loopback:
            flags |= IFF_LOOPBACK
        if match["peer"]:
            flags |= IFF_POINTOPOINT
        if match["brd"]:
            flags |= IFF_BROADCAST
        out.append(
            InterfaceAddress(match["name"], address, netmask, flags, match["brd"], match["peer"])
        )
    return out


def _ip_command_interfaces() -> list[InterfaceAddress]:
    import subprocess

    try:
        result = subprocess.run(
            ["ip", "-o", "-4", "addr", "show", "up"],
            capture_output=True,
            text=True,
            timeout=5.0,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("cannot list network interfaces (%s); no broadcast addresses", exc)
        return []
    return parse_ip_addr(result.stdout)
