"""Widgets of the console, one a file."""
