"""intragraph: the 42 intra API's graph endpoints, self-hosted."""

__version__ = "0.1.0"
