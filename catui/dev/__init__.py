"""Development helpers: a fixed feed and the snapshot states (tests and screenshots)."""
