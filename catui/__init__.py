"""catui: a Textual console for EPICS Channel Access (in development)."""

__version__ = "0.1.0"
