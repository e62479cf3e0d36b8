"""Pure data handling of the console (no Textual here).

Watchlist files, values typed by a person, PV names in pasted text, the write
journal, and snapshots copied out of the table.
"""
