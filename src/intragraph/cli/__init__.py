"""The `intragraph` command: serve, db, import, demo, graph, sync, apps (`common._Commands`
imports each when it is named)."""

from intragraph.cli.common import main

__all__ = ["main"]
