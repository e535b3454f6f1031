"""``python -m monitoring``: :func:`~monitoring.cli.main.main`, one module per command."""
