"""Time ``catui get PV`` as a whole process against its peers, in one run.

Run from the repository root (about a minute with the defaults)::

    python bench/bench_cli.py [--runs 30] [--warmup 3] [--pv ao]

One EPICS Base IOC (``tests.support.iocs.EpicsBaseIoc``) serves ``records.db`` on
loopback.  Each command below is started afresh with ``subprocess.run`` and timed
by the wall clock from start to exit, in rounds that run every command once (so
that a change of load on the machine affects all alike): ``--warmup`` rounds
unmeasured, then ``--runs`` rounds; the table gives the median, the minimum and
the maximum:

* ``python -c pass``      -- the interpreter's own start-up: the floor of any Python tool
* ``catui get``           -- the venv's ``catui`` console script if installed, else the
  same wrapper that pip writes for pyproject's entry point (with the repository on
  ``PYTHONPATH``)
* ``python -m catui``     -- ``python -m catui get``: the same, plus runpy's start-up
* ``caproto-get``         -- caproto's command-line ``caget``
* ``pyepics caget``       -- ``python -c "import epics; print(epics.caget(PV))"``
  (pyepics has no command-line tool of its own)
* ``C caget``             -- ``caget`` of EPICS Base if one is on ``PATH``; else, when a
  C compiler is at hand, a minimal caget built here on epicscorelibs' ``libca``
  (create the channel, ``ca_pend_io``, ``ca_array_get`` as DBR_STRING, ``ca_pend_io``,
  print): the same libca start-up, search and connection as caget.  If neither can
  be had, the table says so.

Bytecode: the children run with ``PYTHONPYCACHEPREFIX`` set to a temporary directory
and without ``PYTHONDONTWRITEBYTECODE``, so that every Python tool compiles its sources
once (in the warm-ups) and then loads bytecode, as an installed package does; a shell
with ``PYTHONDONTWRITEBYTECODE=1`` would otherwise time the compilation of catui's
sources (about 25 ms) in every run, while caproto's and pyepics's installed bytecode
is used.  ``--also-catui DIR`` adds a row for ``python -m catui get`` run from
another checkout (e.g. ``git archive HEAD`` unpacked somewhere, for a before/after
in one run).

Nothing leaves 127.0.0.1: the clients run with the network rule's CA and PVA
variables (``tests.support.iocs.session_env``) and the IOC's port.
``EPICS_CA_REPEATER_PORT`` is a free port on which this script runs its own repeater
(``protocol.sync.repeater``) for the whole run, so that no client spawns one
(caproto-get and libca would, and their start would then be timed too); at the end
the IOC, that repeater and any other process started with that repeater port in its
environment are ended.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.iocs import EpicsBaseIoc, free_port, session_env  # noqa: E402
from tests.support.processes import end_processes  # noqa: E402

PYTHON = sys.executable
VALUE = "12.5"
BIN = Path(PYTHON).parent

MINI_CAGET_C = r"""
/* A minimal caget: one PV, read as DBR_STRING, printed as "name value". */
#include <stdio.h>
#include <cadef.h>

int main(int argc, char **argv)
{
    chid ch;
    dbr_string_t value;
    double timeout = 1.0;
    if (argc != 2) {
        fprintf(stderr, "usage: %s PV\n", argv[0]);
        return 2;
    }
    SEVCHK(ca_context_create(ca_disable_preemptive_callback), "ca_context_create");
    ca_create_channel(argv[1], NULL, NULL, CA_PRIORITY_DEFAULT, &ch);
    if (ca_pend_io(timeout) != ECA_NORMAL) {
        fprintf(stderr, "%s: not connected\n", argv[1]);
        return 1;
    }
    if (ca_array_get(DBR_STRING, 1, ch, value) != ECA_NORMAL
            || ca_pend_io(timeout) != ECA_NORMAL) {
        fprintf(stderr, "%s: read failed\n", argv[1]);
        return 1;
    }
    printf("%-30s %s\n", argv[1], value);
    ca_clear_channel(ch);
    ca_context_destroy();
    return 0;
}
"""


def c_caget(workdir: Path) -> tuple[list[str] | None, str]:
    """The command of a C caget and what it is; (None, why) if there is none."""
    found = shutil.which("caget")
    if found:
        return [found], "caget of EPICS Base on PATH"
    cc = shutil.which("cc") or shutil.which("gcc")
    try:
        import epicscorelibs.path as ecl
    except ImportError:
        return None, "no caget on PATH, no epicscorelibs to build one against"
    bin_dir = Path(ecl.base_path) / "bin"
    if bin_dir.is_dir() and (bin_dir / "caget").exists():
        return [str(bin_dir / "caget")], "caget shipped by epicscorelibs"
    if cc is None:
        return None, "no caget on PATH, epicscorelibs ships none, and no C compiler to build one"
    source = workdir / "mini_caget.c"
    source.write_text(MINI_CAGET_C)
    exe = workdir / "mini_caget"
    lib = str(ecl.lib_path)
    result = subprocess.run(
        [cc, "-O2", "-o", str(exe), str(source), f"-I{ecl.include_path}",
         f"-L{lib}", f"-Wl,-rpath,{lib}", "-lca", "-lCom"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        return None, "no caget on PATH, epicscorelibs ships none; building one failed: " + (
            result.stderr.strip().splitlines() or ["?"]
        )[-1]
    return [str(exe)], "no caget binary here: a minimal caget built on epicscorelibs' libca"


def catui_command(workdir: Path) -> tuple[list[str], dict[str, str], str]:
    """The ``catui`` console script: the venv's if installed, else one written as pip would.

    Returns the command, extra environment and what it is.
    """
    script = BIN / "catui"
    if script.exists():
        return [str(script), "get"], {}, "the venv's catui console script"
    # pyproject's entry point, in the wrapper that pip writes for it (as caproto-get's).
    entry = re.search(
        r'^catui\s*=\s*"([\w.]+):(\w+)"', (ROOT / "pyproject.toml").read_text(), re.M
    )
    module, func = entry.groups() if entry else ("catui.__main__", "main")
    script = workdir / "catui"
    script.write_text(
        f"#!{PYTHON}\nimport sys\nfrom {module} import {func}\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = sys.argv[0].removesuffix('.exe')\n"
        f"    sys.exit({func}())\n"
    )
    script.chmod(0o755)
    what = f"console script as pip writes it ({module}:{func}; catui is not installed)"
    return [str(script), "get"], {"PYTHONPATH": str(ROOT)}, what


class Row:
    """One command of the table: what it is, how to run it, and its times."""

    def __init__(
        self,
        label: str,
        argv: list[str] | None,
        what: str,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.label, self.argv, self.what = label, argv, what
        self.env, self.cwd = env or {}, cwd
        self.times: list[float] = []


def run_once(row: Row, env: dict[str, str]) -> float:
    """Wall-clock seconds of one fresh process of ``row``; raise if it fails."""
    assert row.argv is not None
    start = time.perf_counter()
    result = subprocess.run(
        row.argv, env={**env, **row.env}, cwd=row.cwd, capture_output=True, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(row.argv)} exited {result.returncode}: "
            f"{result.stderr.decode(errors='replace').strip()[-500:]}"
        )
    return elapsed


def time_rows(rows: list[Row], env: dict[str, str], runs: int, warmup: int) -> None:
    """Round-robin: each round runs every command once, so that a change of load on
    the machine during the run affects all of them alike."""
    live = [row for row in rows if row.argv is not None]
    for round_ in range(warmup + runs):
        for row in live:
            elapsed = run_once(row, env)
            if round_ >= warmup:
                row.times.append(elapsed)


def check_output(row: Row, env: dict[str, str], expect: str) -> None:
    """Raise unless one run of ``row`` succeeds and prints ``expect``."""
    assert row.argv is not None
    result = subprocess.run(
        row.argv, env={**env, **row.env}, cwd=row.cwd, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    if result.returncode != 0 or expect not in result.stdout:
        raise RuntimeError(
            f"{' '.join(row.argv)}: exit {result.returncode}, output {result.stdout!r}, "
            f"errors {result.stderr.strip()[-500:]!r}"
        )


def pids_with_env(var: str, value: str) -> list[int]:
    """This user's processes (other than this one) whose environment has ``var=value``."""
    wanted = f"{var}={value}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if wanted in environ:
            pids.append(int(entry.name))
    return pids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="measured rounds")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured rounds first")
    parser.add_argument("--pv", default="ao", help="record of records.db to read (ao)")
    parser.add_argument(
        "--also-catui", metavar="DIR", type=Path,
        help="also time python -m catui get from this checkout",
    )  # fmt: skip
    args = parser.parse_args()

    repeater_port = str(free_port())
    prefix = f"benchcli{os.getpid()}:"
    ioc = EpicsBaseIoc(prefix, beacon_port=int(repeater_port))
    env = {
        **os.environ,
        **session_env(),  # CA and PVA on loopback, non-default ports
        **ioc.env,
        "EPICS_CA_REPEATER_PORT": repeater_port,
    }
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    pv = prefix + args.pv
    repeater: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        try:
            ioc.start()
            ioc.dbpf(pv, VALUE)  # every client must print it
            # Our own repeater for the whole run, so that no client starts one.
            repeater = subprocess.Popen(
                [PYTHON, "-m", "protocol.sync.repeater", "--port", repeater_port],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(0.5)
            if repeater.poll() is not None:
                raise RuntimeError(f"the repeater on port {repeater_port} exited at once")

            catui_argv, catui_env, catui_what = catui_command(Path(tmp))
            c_argv, c_what = c_caget(Path(tmp))
            rows = [
                Row("python -c pass", [PYTHON, "-c", "pass"], "interpreter start-up, the floor"),
                Row("catui get", [*catui_argv, pv], catui_what, catui_env),
                Row("python -m catui", [PYTHON, "-m", "catui", "get", pv], "the same via runpy"),
            ]
            if args.also_catui:
                alt = args.also_catui.resolve()
                what = f"python -m catui get in {alt}"
                rows.append(
                    Row("-m catui (alt)", [PYTHON, "-m", "catui", "get", pv], what, cwd=alt)
                )
            rows += [
                Row("caproto-get", [str(BIN / "caproto-get"), pv], "caproto"),
                Row(
                    "pyepics caget",
                    [PYTHON, "-c", f"import epics; print(epics.caget({pv!r}))"],
                    "pyepics (libca)",
                ),
                Row("C caget", [*c_argv, pv] if c_argv else None, c_what),
            ]
            for row in rows[1:]:
                if row.argv is not None:
                    check_output(row, env, VALUE)
            print(f"Python {platform.python_version()} on {platform.machine()}, "
                  f"{os.cpu_count()} CPUs; IOC: EPICS Base soft IOC on 127.0.0.1:{ioc.port}; "
                  f"PV {pv}")  # fmt: skip
            print(f"{args.runs} rounds after {args.warmup} warm-up rounds, each command once "
                  "a round; wall clock per process\n")  # fmt: skip
            time_rows(rows, env, args.runs, args.warmup)
            print(f"{'command':<16} {'median ms':>10} {'min ms':>8} {'max ms':>8}  what")
            print("-" * 90)
            for row in rows:
                if not row.times:
                    print(f"{row.label:<16} {'-':>10} {'-':>8} {'-':>8}  {row.what}")
                    continue
                ms = [t * 1000 for t in row.times]
                print(f"{row.label:<16} {statistics.median(ms):>10.1f} {min(ms):>8.1f} "
                      f"{max(ms):>8.1f}  {row.what}")  # fmt: skip
        finally:
            ioc.stop()
            if repeater is not None:
                repeater.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    repeater.wait(5)
                if repeater.poll() is None:
                    repeater.kill()
                    repeater.wait()
            # Anything else that got our repeater port (a repeater a client spawned).
            end_processes(pids_with_env("EPICS_CA_REPEATER_PORT", repeater_port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
