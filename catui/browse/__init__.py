"""The record browser's model: field tables, links, the record view and the PV tree (no UI).

What the console's screens (and ``catui tree``, ``catui info --fields``) build on;
everything here is plain data, and the functions that read block, so screens call
them from a thread worker and post what the callbacks give them:

Record view
    :func:`catui.browse.record.read_record` ``(pv, timeout=, on_update=, cancelled=)``
    -> :class:`~catui.browse.record.RecordView`: ``.record_type``, ``.partial``,
    ``.summary()``, ``.groups()``, ``.values[field]`` (a
    :class:`~catui.browse.record.FieldValue`: text, parsed link, error, writable),
    ``.links()``, ``.error``.
PV tree
    :func:`catui.browse.tree.expand_tree` ``(pv, max_depth=8, timeout=, on_update=,
    cancelled=)`` -> :class:`~catui.browse.tree.PVTree`: ``.rows()`` (immutable
    snapshot), ``.pvs()`` (to subscribe to), ``.update(pv, value=, severity=, status=)``
    (a live update; the severity origin is marked again), ``.origin()``.
Writes
    :func:`catui.browse.write_check.check_field_write` ``(field, text, choices=,
    native=, count=)`` -> :class:`~catui.browse.write_check.WriteCheck`;
    :func:`~catui.browse.write_check.field_choices` for a menu's choices.
Links and navigation
    :func:`catui.browse.links.parse_link`, :class:`catui.browse.path.BrowsePath`.
Field tables
    :data:`catui.browse.fields.TABLE` (EPICS Base's record types, generated from
    its DBD files by :mod:`catui.browse.gen_record_fields`),
    :meth:`~catui.browse.fields.RecordTable.from_definitions` with
    :func:`catui.browse.dbd.read_dbd` for a site's own record types.
Text
    :mod:`catui.browse.text`: both as plain text and JSON-ready data.
"""
