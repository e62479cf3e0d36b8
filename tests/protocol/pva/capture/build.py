"""Build ``pvxs_list`` (pvxs_list.cpp) against the installed pvxslibs and epicscorelibs wheels.

Used by ``capture.py`` and ``bench/bench_pva_list.py``; needs g++. The wheels are
built with the old libstdc++ string ABI, hence ``-D_GLIBCXX_USE_CXX11_ABI=0``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).with_name("pvxs_list.cpp")


def build(directory: Path) -> Path:
    """Compile ``pvxs_list`` into ``directory``; returns the executable's path.

    Raises
    ------
    RuntimeError
        No g++, or the compiler failed (its output is in the message).
    """
    import epicscorelibs.path
    import pvxslibs.path

    compiler = shutil.which("g++")
    if compiler is None:
        raise RuntimeError("g++ is not installed")
    pvxs = Path(pvxslibs.path.include_path).parent
    base = Path(epicscorelibs.path.base_path)
    target = directory / "pvxs_list"
    argv = [
        compiler,
        "-std=c++11",
        "-O1",
        "-D_GLIBCXX_USE_CXX11_ABI=0",
        str(SOURCE),
        "-o",
        str(target),
        f"-I{pvxs / 'include'}",
        f"-I{base / 'include'}",
        f"-I{base / 'include' / 'os' / 'Linux'}",
        f"-I{base / 'include' / 'compiler' / 'gcc'}",
        f"-L{pvxs / 'lib'}",
        f"-L{base / 'lib'}",
        "-lpvxs",
        "-lCom",
        f"-Wl,-rpath,{pvxs / 'lib'}",
        f"-Wl,-rpath,{base / 'lib'}",
    ]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"g++ failed:\n{proc.stderr}")
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
