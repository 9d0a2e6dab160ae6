"""The benchmark of consult-bot: ``python -m bench`` (``--quick`` for a short run)."""
