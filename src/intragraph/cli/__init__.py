"""The `intragraph` command: serve, db, import, demo, graph, sync, apps."""

from intragraph.cli import apps, demo, graph, importing, server, sync
from intragraph.cli.common import main

__all__ = ["apps", "demo", "graph", "importing", "main", "server", "sync"]
