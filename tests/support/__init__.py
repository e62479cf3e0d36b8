"""Test support: real EPICS IOCs on loopback (``iocs``) and their record databases."""
