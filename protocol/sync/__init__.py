"""The synchronous client and the I/O pieces under it (search, circuits, repeater)."""
