"""The console's data sources, behind one protocol-neutral seam (:mod:`.base`).

Above this package nothing imports a protocol: the console sees
:class:`~catui.feeds.base.Feed`, its neutral types, the
:class:`~catui.feeds.mailbox.Mailbox`, and :mod:`.names` for PV names and alarm
words.  :mod:`.ca` is Channel Access, :mod:`.fake` a fixed plant for snapshots and
tests, :mod:`.router` picks one by a name's ``ca://`` / ``pva://`` prefix.
"""
