"""The HTTP layer: the only package that knows the web framework."""
