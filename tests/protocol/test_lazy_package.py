"""``protocol`` loads its submodules on first use (PEP 562) but exports what it always did."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import protocol
import protocol.commands

ROOT = Path(__file__).resolve().parents[2]


def test_all_covers_the_commands() -> None:
    assert set(protocol.commands.__all__) <= set(protocol.__all__)
    assert len(protocol.__all__) == len(set(protocol.__all__))


def test_every_public_name_resolves_to_its_definition() -> None:
    for name in protocol.__all__:
        value = getattr(protocol, name)
        module = protocol._WHERE[name]
        assert value is getattr(sys.modules[f"protocol.{module}"], name), name


def test_star_import_and_dir() -> None:
    namespace: dict[str, object] = {}
    exec("from protocol import *", namespace)
    assert set(protocol.__all__) <= set(namespace)
    assert set(protocol.__all__) <= set(dir(protocol))


def test_unknown_name_raises_attribute_error() -> None:
    try:
        protocol.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("no AttributeError")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return set(out.split())


def test_import_alone_loads_no_submodule() -> None:
    loaded = _modules_after("import protocol")
    assert not {m for m in loaded if m.startswith("protocol.")}


def test_submodules_reachable_as_attributes_after_bare_import() -> None:
    loaded = _modules_after("import protocol\nprotocol.dbr.TimeStamp\nprotocol.states")
    assert {"protocol.dbr", "protocol.states"} <= loaded


def test_one_name_loads_only_its_module_and_imports() -> None:
    loaded = _modules_after("from protocol import ChannelType")
    assert "protocol.channel_types" in loaded
    assert "protocol.circuit" not in loaded
