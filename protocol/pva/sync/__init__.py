"""Thin synchronous I/O on top of the pvAccess core: discovery and server listings."""
