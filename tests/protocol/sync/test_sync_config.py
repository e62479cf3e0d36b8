"""EPICS_CA_* parsing: defaults, address lists, auto list, numeric limits.

Host names go through a fake resolver: a real lookup could send a DNS query
off this machine.
"""

from __future__ import annotations

import logging

import pytest

from protocol.sync.config import (
    DEFAULT_MAX_ARRAY_BYTES,
    MIN_MAX_ARRAY_BYTES,
    CAConfig,
    load_config,
    parse_address_list,
    search_destinations,
)

HOSTS = {"ioc1": "10.0.0.1", "ioc2.example.org": "10.0.0.2", "gw": "10.0.0.9"}


def fake_resolve(name: str) -> str:
    try:
        return HOSTS[name]
    except KeyError:
        raise OSError(f"unknown host {name}") from None


def no_resolve(name: str) -> str:
    raise AssertionError(f"tried to resolve {name!r}")


def config(**env: str) -> CAConfig:
    return load_config(env, resolve=fake_resolve)


def test_defaults_are_epics_base_defaults() -> None:
    assert load_config({}, resolve=no_resolve) == CAConfig(
        addr_list=(),
        auto_addr_list=True,
        server_port=5064,
        repeater_port=5065,
        max_array_bytes=64 * 1024 * 1024,
        name_servers=(),
        conn_tmo=30.0,
        max_search_period=300.0,
    )


def test_empty_values_count_as_unset() -> None:
    env = {
        "EPICS_CA_ADDR_LIST": "",
        "EPICS_CA_AUTO_ADDR_LIST": " ",
        "EPICS_CA_SERVER_PORT": "",
        "EPICS_CA_MAX_ARRAY_BYTES": "",
    }
    assert load_config(env, resolve=no_resolve) == CAConfig()


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPICS_CA_ADDR_LIST", "127.0.0.1:7000")
    monkeypatch.setenv("EPICS_CA_AUTO_ADDR_LIST", "NO")
    cfg = load_config()
    assert cfg.addr_list == (("127.0.0.1", 7000),)
    assert cfg.auto_addr_list is False


def test_addr_list_hosts_ports_and_names() -> None:
    cfg = config(
        EPICS_CA_ADDR_LIST=" 10.1.2.255\t127.0.0.1:5070 \n ioc1 ioc2.example.org:6000 ",
        EPICS_CA_SERVER_PORT="6064",
    )
    assert cfg.addr_list == (
        ("10.1.2.255", 6064),
        ("127.0.0.1", 5070),
        ("10.0.0.1", 6064),
        ("10.0.0.2", 6000),
    )


def test_dotted_quads_are_not_resolved() -> None:
    cfg = load_config({"EPICS_CA_ADDR_LIST": "1.2.3.4 5.6.7.8:9000"}, resolve=no_resolve)
    assert cfg.addr_list == (("1.2.3.4", 5064), ("5.6.7.8", 9000))


def test_default_resolver_is_gethostbyname(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def gethostbyname(name: str) -> str:
        calls.append(name)
        return "127.0.0.1"

    monkeypatch.setattr("socket.gethostbyname", gethostbyname)
    assert parse_address_list("myhost 1.2.3.4", 5064) == [("127.0.0.1", 5064), ("1.2.3.4", 5064)]
    assert calls == ["myhost"]


@pytest.mark.parametrize(
    "entry",
    [
        "10.0.0.1:0",
        "10.0.0.1:65536",
        "10.0.0.1:abc",
        "10.0.0.1:",
        ":5064",
        "unknown.invalid",
        "unknown.invalid:5064",
        "fe80::1",
    ],
)
def test_invalid_entries_are_skipped_with_a_warning(
    entry: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="protocol.sync.config"):
        cfg = config(EPICS_CA_ADDR_LIST=f"127.0.0.1 {entry} gw:7000")
    assert cfg.addr_list == (("127.0.0.1", 5064), ("10.0.0.9", 7000))
    assert "EPICS_CA_ADDR_LIST" in caplog.text
    assert repr(entry) in caplog.text


def test_name_servers_use_server_port_and_drop_duplicates() -> None:
    cfg = config(
        EPICS_CA_NAME_SERVERS="ioc1 10.0.0.1:5064 gw:7064 bad.invalid",
        EPICS_CA_SERVER_PORT="5064",
    )
    assert cfg.name_servers == (("10.0.0.1", 5064), ("10.0.0.9", 7064))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("YES", True), ("yes", True), ("Yes", True), ("NO", False), ("no", False), ("No", False)],
)
def test_auto_addr_list_yes_no_any_case(value: str, expected: bool) -> None:
    assert config(EPICS_CA_AUTO_ADDR_LIST=value).auto_addr_list is expected


@pytest.mark.parametrize(("value", "expected"), [("nope", False), ("true", True), ("1", True)])
def test_auto_addr_list_other_values_follow_libca(
    value: str, expected: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # libca: anything containing "no" disables the auto list, anything else keeps it.
    assert config(EPICS_CA_AUTO_ADDR_LIST=value).auto_addr_list is expected
    assert "EPICS_CA_AUTO_ADDR_LIST" in caplog.text


# -- search destinations ------------------------------------------------------


def test_auto_no_and_empty_list_means_no_destinations() -> None:
    cfg = config(EPICS_CA_AUTO_ADDR_LIST="NO")
    assert search_destinations(cfg, broadcast=["10.0.0.255"]) == []
    assert search_destinations(cfg) == []  # no interface lookup either


def test_auto_no_uses_the_list_only() -> None:
    cfg = config(EPICS_CA_AUTO_ADDR_LIST="NO", EPICS_CA_ADDR_LIST="127.0.0.1")
    assert search_destinations(cfg, broadcast=["10.0.0.255"]) == [("127.0.0.1", 5064)]


def test_auto_yes_puts_broadcasts_first_then_the_list_without_duplicates() -> None:
    cfg = config(
        EPICS_CA_ADDR_LIST="10.0.0.9 10.0.0.255 127.0.0.1 10.0.0.9 10.0.0.9:7000",
        EPICS_CA_SERVER_PORT="6000",
    )
    assert search_destinations(cfg, broadcast=["10.0.0.255", "192.168.1.255"]) == [
        ("10.0.0.255", 6000),
        ("192.168.1.255", 6000),
        ("10.0.0.9", 6000),
        ("127.0.0.1", 6000),
        ("10.0.0.9", 7000),
    ]


def test_auto_yes_with_no_interfaces_falls_back_to_loopback() -> None:
    cfg = config(EPICS_CA_ADDR_LIST="10.0.0.9")
    assert search_destinations(cfg, broadcast=[]) == [("127.0.0.1", 5064), ("10.0.0.9", 5064)]


def test_auto_yes_discovers_interfaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("protocol.sync.interfaces.broadcast_addresses", lambda: ["172.16.255.255"])
    assert search_destinations(config()) == [("172.16.255.255", 5064)]


# -- numbers ----------------------------------------------------------------


def test_ports() -> None:
    cfg = config(EPICS_CA_SERVER_PORT="15064", EPICS_CA_REPEATER_PORT=" 15065 ")
    assert (cfg.server_port, cfg.repeater_port) == (15064, 15065)


@pytest.mark.parametrize("value", ["abc", "5064.5", "-1", "0", "5000", "65536", "0x13c8"])
def test_invalid_ports_warn_and_use_the_default(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(EPICS_CA_SERVER_PORT=value, EPICS_CA_REPEATER_PORT=value)
    assert (cfg.server_port, cfg.repeater_port) == (5064, 5065)
    assert "EPICS_CA_SERVER_PORT" in caplog.text
    assert "EPICS_CA_REPEATER_PORT" in caplog.text


def test_max_array_bytes_when_set() -> None:
    assert config(EPICS_CA_MAX_ARRAY_BYTES="100000").max_array_bytes == 100000
    assert config(EPICS_CA_MAX_ARRAY_BYTES="16384").max_array_bytes == 16384
    # Set explicitly, it wins over the automatic-size default in both directions.
    assert config(EPICS_CA_MAX_ARRAY_BYTES=str(2**30)).max_array_bytes == 2**30


@pytest.mark.parametrize("value", ["0", "100", "16383"])
def test_max_array_bytes_below_the_minimum_is_raised(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert config(EPICS_CA_MAX_ARRAY_BYTES=value).max_array_bytes == MIN_MAX_ARRAY_BYTES == 16384
    assert "rounded up" in caplog.text


@pytest.mark.parametrize("value", ["lots", "-5", "1e6"])
def test_max_array_bytes_invalid_warns_and_uses_the_default(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert config(EPICS_CA_MAX_ARRAY_BYTES=value).max_array_bytes == DEFAULT_MAX_ARRAY_BYTES
    assert "EPICS_CA_MAX_ARRAY_BYTES" in caplog.text


def test_max_array_bytes_unset_follows_auto_array_bytes() -> None:
    assert config().max_array_bytes == DEFAULT_MAX_ARRAY_BYTES
    assert config(EPICS_CA_AUTO_ARRAY_BYTES="YES").max_array_bytes == DEFAULT_MAX_ARRAY_BYTES
    assert config(EPICS_CA_AUTO_ARRAY_BYTES="NO").max_array_bytes == 16384
    cfg = config(EPICS_CA_AUTO_ARRAY_BYTES="NO", EPICS_CA_MAX_ARRAY_BYTES="50000")
    assert cfg.max_array_bytes == 50000


def test_timeouts() -> None:
    cfg = config(EPICS_CA_CONN_TMO="2.5", EPICS_CA_MAX_SEARCH_PERIOD="120")
    assert (cfg.conn_tmo, cfg.max_search_period) == (2.5, 120.0)


def test_max_search_period_has_libcas_lower_limit(caplog: pytest.LogCaptureFixture) -> None:
    assert config(EPICS_CA_MAX_SEARCH_PERIOD="5").max_search_period == 60.0
    assert "EPICS_CA_MAX_SEARCH_PERIOD" in caplog.text


@pytest.mark.parametrize("value", ["soon", "0", "-3", "nan", "inf"])
def test_invalid_seconds_warn_and_use_the_default(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(EPICS_CA_CONN_TMO=value, EPICS_CA_MAX_SEARCH_PERIOD=value)
    assert (cfg.conn_tmo, cfg.max_search_period) == (30.0, 300.0)
    assert "EPICS_CA_CONN_TMO" in caplog.text
    assert "EPICS_CA_MAX_SEARCH_PERIOD" in caplog.text


def test_config_is_frozen() -> None:
    cfg = CAConfig()
    with pytest.raises(AttributeError):
        cfg.server_port = 1  # type: ignore[misc]
