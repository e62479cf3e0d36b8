"""Demo IOCs built on pythonSoftIOC, each runnable as ``python -m catui.ioc_examples.NAME``.

``random_walk``
    The IOC of the sync-client tutorial: ``random_walk:dt`` and ``random_walk:x``.
``simple``
    Three plain read/write PVs, ``simple:A``, ``simple:B`` and ``simple:C``.
``demo``
    The plant behind ``catui --demo``: every native type, alarms, limits, a slow put,
    waveforms and fast updates, over CA and pvAccess (QSRV); and over pvAccess only,
    an NTTable, an NTNDArray image and a plain structure from a p4p server in the
    same process (:mod:`~catui.ioc_examples.demo_pva`).

Every IOC serves on 127.0.0.1 unless told otherwise and answers ``--help``;
:mod:`catui.ioc_examples.launch` starts one as a subprocess.  The IOCs need the
``demo`` extra (pythonSoftIOC, p4p); importing this package does not.
"""

IOC_NAMES = ("random_walk", "simple", "demo")

__all__ = ["IOC_NAMES"]
