"""pvAccess, as much of it as a server listing needs: a sans-I/O core and a sync layer.

The core (this package apart from :mod:`protocol.pva.sync`) turns messages into
bytes and bytes into messages; it opens no sockets, starts no threads and reads
no clocks:

- :mod:`~protocol.pva.header`: the 8-byte header (magic, version, flags, command, size);
- :mod:`~protocol.pva.wire`: sizes, strings, status, addresses, in either byte order;
- :mod:`~protocol.pva.types`: type descriptors, with the 0xFD/0xFE/0xFF cache codes;
- :mod:`~protocol.pva.values`: full values (structures, scalars, arrays, unions, any; NTURI);
- :mod:`~protocol.pva.messages`: one immutable class per message;
- :mod:`~protocol.pva.decoder`: bytes to messages (one, a datagram, a TCP stream);
- :mod:`~protocol.pva.conversation`: the state machine of a one-RPC connection;
- :mod:`~protocol.pva.listing`: the discovery ping and the ``server`` PV's RPCs.

:mod:`protocol.pva.sync.discover` and :mod:`protocol.pva.sync.listing` are the
thin I/O layer on top: ``discover_servers()``, ``list_servers()``, ``browse()``.
"""
