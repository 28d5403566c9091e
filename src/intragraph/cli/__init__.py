"""The `intragraph` command: serve, db, import, demo, graph, sync, apps."""

from intragraph.cli import apps, data, server, sync
from intragraph.cli.common import main

__all__ = ["apps", "data", "main", "server", "sync"]
