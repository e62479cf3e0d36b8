"""Command-line tools in the spirit of caget, caput, camonitor and cainfo.

Each tool is a module with ``main(argv) -> int``: :mod:`catui.cli.get`,
:mod:`catui.cli.put`, :mod:`catui.cli.monitor`, :mod:`catui.cli.info` and
:mod:`catui.cli.tree`.
They import neither Textual nor numpy, so that they start fast.
"""

TOOLS = ("get", "put", "monitor", "info", "tree")

__all__ = ["TOOLS"]
