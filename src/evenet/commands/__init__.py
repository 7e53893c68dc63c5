"""One module per ``evenet`` verb; see :mod:`evenet.cli`."""
