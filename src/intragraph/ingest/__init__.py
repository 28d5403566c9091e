"""Bringing data in: the 42 JSON reader, its import into a store, and the demo generator."""
