"""The `intragraph` command: serve, db, import, demo, graph, apps."""

from intragraph.cli import apps, data, server
from intragraph.cli.common import main

__all__ = ["apps", "data", "main", "server"]
