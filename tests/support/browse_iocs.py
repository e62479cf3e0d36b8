"""The record browser's two IOCs: ``browse.db`` and, linked from it over CA, ``browse_far.db``.

Both are EPICS Base soft IOCs on loopback, on their own ports; the first one's CA
links find records in both. Used by ``tests/catui/browse``, the ``catui tree`` and
``catui info --fields`` tests and ``bench/bench_browse.py``::

    with BrowseIocs() as iocs:
        os.environ.update(iocs.env)
        expand_tree(iocs.pv("sev:top"))
"""

from __future__ import annotations

import os
from types import TracebackType

from tests.support.iocs import LOOPBACK, SUPPORT_DIR, EpicsBaseIoc, stop_all

BROWSE_DB = SUPPORT_DIR / "browse.db"
BROWSE_FAR_DB = SUPPORT_DIR / "browse_far.db"
BROWSE_ACF = SUPPORT_DIR / "browse.acf"


class BrowseIocs:
    """``browse.db`` (prefix ``prefix``) and ``browse_far.db`` (prefix ``far_prefix``).

    Attributes
    ----------
    near, far : EpicsBaseIoc
    env : dict
        What a CA client needs to find the records of both IOCs.
    """

    def __init__(self, prefix: str | None = None, far_prefix: str | None = None) -> None:
        prefix = prefix or f"br{os.getpid()}:"
        far_prefix = far_prefix or f"{prefix}x:"
        self.far = EpicsBaseIoc(far_prefix, db=BROWSE_FAR_DB, acf=None)
        # The near IOC's own CA client (its CA links) searches both IOCs.
        near_list = f"{LOOPBACK} {LOOPBACK}:{self.far.port}"
        self.near = EpicsBaseIoc(
            prefix,
            db=BROWSE_DB,
            acf=BROWSE_ACF,
            macros=f"R={far_prefix}",
            extra_env={"EPICS_CA_ADDR_LIST": near_list},
        )
        self.env = {
            **self.near.env,
            "EPICS_CA_ADDR_LIST": f"{LOOPBACK}:{self.near.port} {LOOPBACK}:{self.far.port}",
        }

    @property
    def prefix(self) -> str:
        """The near IOC's prefix."""
        return self.near.prefix

    def pv(self, name: str) -> str:
        """A record of the near IOC by its name without the prefix."""
        return self.near.prefix + name

    def far_pv(self, name: str) -> str:
        """A record of the far IOC by its name without the prefix."""
        return self.far.prefix + name

    def start(self) -> BrowseIocs:
        """Start both IOCs (the far one first: the near one links to it)."""
        try:
            self.far.start()
            self.near.start()
        except BaseException:
            self.stop()
            raise
        return self

    def ensure_running(self) -> BrowseIocs:
        """Start again whichever IOC a test stopped."""
        self.far.ensure_running()
        self.near.ensure_running()
        return self

    def stop(self) -> None:
        """Stop both."""
        stop_all([self.near, self.far])

    def __enter__(self) -> BrowseIocs:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
