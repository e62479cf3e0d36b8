"""Modal dialogs of the console (``ModalScreen[T]``), one a file."""
