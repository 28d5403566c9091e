"""intragraph itself as the upstream 42 API of the sync tests: a real server on a local port,
plus what a real network does to a client (a proxy that drops connections) and a gate that
holds one request, to kill the syncing process at a known point."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from intragraph.api.app import create_app
from intragraph.auth import applications
from intragraph.auth.ratelimit import RateLimiter
from intragraph.config import Settings
from intragraph.ports import free_port
from intragraph.store.base import Store

Scope = MutableMapping[str, Any]
Asgi = Callable[[Scope, Any, Any], Awaitable[None]]


@dataclass
class Gate:
    """Holds the `at`-th request to `path` until `release` is set; `reached` tells it came."""

    app: Asgi
    path: str = "/v2/projects_users"
    at: int = 0  # 0: let everything through
    seen: int = 0
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == self.path:
            self.seen += 1
            if self.seen == self.at:
                self.reached.set()
                await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        await self.app(scope, receive, send)


@dataclass
class Upstream:
    base: str
    uid: str
    secret: str
    store: Store
    gate: Gate


@contextmanager
def serve(store: Store, rate_limits: tuple[str, ...], token_ttl: int = 7200) -> Iterator[Upstream]:
    """An intragraph server on `store`, in a thread, with an application of those limits."""
    made = applications.create(store, "sync", dt.datetime.now(dt.UTC), rate_limits=rate_limits)
    gate = Gate(create_app(Settings(token_ttl=token_ttl), store, limiter=RateLimiter()))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(gate, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the upstream did not start within 15 s"
        time.sleep(0.02)
    try:
        yield Upstream(f"http://127.0.0.1:{port}", made.uid, made.secret, store, gate)
    finally:
        gate.release.set()
        server.should_exit = True
        thread.join(15)


class FlakyProxy:
    """Forwards TCP connections to a port, and breaks them as networks do: one connection in
    four is closed as soon as it is accepted, the others are cut after a random number of
    answer bytes (mid-answer, usually a page or two in). Deterministic for a seed."""

    def __init__(self, target: int, seed: int = 7) -> None:
        self.target, self.random = target, random.Random(seed)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = self.cut = 0
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.accepted += 1
            if self.accepted % 4 == 0:
                self.cut += 1
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.target))
            self._sockets += [client, server]
            budget = self.random.randint(2_000, 90_000)
            threading.Thread(target=self._pump, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, budget), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, budget: int | None) -> None:
        with suppress(OSError):
            while chunk := source.recv(65536):
                if budget is not None and len(chunk) >= budget:
                    sink.sendall(chunk[:budget])
                    self.cut += 1
                    break
                if budget is not None:
                    budget -= len(chunk)
                sink.sendall(chunk)
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()
        for end in self._sockets:
            end.close()
