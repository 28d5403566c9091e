"""TCP ports: one that is free now (tests, benchmarks), and whether one can be listened on."""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def bind_error(host: str, port: int) -> str | None:
    """Why `serve` could not listen on host:port (taken, not an address of this machine...),
    or None if it can: checked before anything else is done, so that a taken port costs
    nothing (no database file made, no banner printed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        return f"{host!r} is not an address: {error.strerror}"
    family, kind, protocol, _, address = infos[0]
    with socket.socket(family, kind, protocol) as sock:
        # as uvicorn does: a port left in TIME_WAIT by a stopped server is free to use
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as error:
            return error.strerror or str(error)
    return None
