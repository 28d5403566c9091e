"""Reading a 42-compatible API into the store: the HTTP client and the incremental sync."""
