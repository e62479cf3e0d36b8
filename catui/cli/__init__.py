"""Command-line tools in the spirit of caget, caput, camonitor, cainfo, pvlist and dbtr.

Each tool is a module with ``main(argv) -> int``: :mod:`catui.cli.get`,
:mod:`catui.cli.put`, :mod:`catui.cli.monitor`, :mod:`catui.cli.info`,
:mod:`catui.cli.list` (pvAccess server listings) and :mod:`catui.cli.tree`
(a record's input-link tree).
They import neither Textual nor numpy, so that they start fast.
"""

TOOLS = ("get", "put", "monitor", "info", "list", "tree")

__all__ = ["TOOLS"]
