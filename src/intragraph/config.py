"""Typed settings from INTRAGRAPH_* variables and command-line options, built by a function.

`Settings` is the one list: `SETTINGS` is derived from it, `load` reads and checks every entry (a
bad value is named with its variable and the type expected), the CLI's options and their help
are made from it (`cli/common.py`), and a test holds the README's configuration table to it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from intragraph.errors import BadRequest, ConfigError
from intragraph.periods import parse_zone


def _setting(default: Any, help: str, minimum: int = 1) -> Any:
    return field(default=default, metadata={"help": help, "minimum": minimum})


@dataclass(frozen=True)
class Settings:
    """Every setting, with its default and its help: the one list that the environment, the
    command-line options, their help and the README's table are derived from."""

    database_url: str = _setting(
        "./intragraph.duckdb",
        "The database: a DuckDB file path, duckdb:///path or postgresql://user@host/db.",
    )
    host: str = _setting("127.0.0.1", "The address `serve` listens on.")
    port: int = _setting(8000, "The port `serve` listens on.")
    time_zone: str = _setting(
        "UTC", "The time zone of graphs whose request names none (an IANA name)."
    )
    log_level: str = _setting("info", "debug, info, warning or error.")
    token_ttl: int = _setting(7200, "Seconds an access token lives.")
    redis_url: str = _setting(
        "", "Redis for the rate-limit counters, shared by every worker (empty: in memory)."
    )
    workers: int = _setting(
        1, "Worker processes of `serve` (more than 1 needs PostgreSQL and Redis)."
    )
    forwarded_allow_ips: str = _setting(
        "127.0.0.1",
        "Proxies whose X-Forwarded-For/-Proto `serve` trusts (comma-separated, * for any).",
    )
    pool_size: int = _setting(10, "PostgreSQL: connections per worker.")
    pool_timeout: float = _setting(
        5.0, "PostgreSQL: seconds to wait for a connection before a 503."
    )
    statement_timeout: int = _setting(30000, "PostgreSQL: milliseconds a graph query may run.")
    cache_size: int = _setting(
        4096,
        "Graph answers and list pages each worker keeps, the least recently used dropped, "
        "shared through Redis when it is configured (0: none).",
        0,
    )
    count_threads: int = _setting(
        8,
        "Graph and list counts a worker runs at once; more wait their turn (answers from the "
        "cache never wait for them).",
    )
    log_format: str = _setting("text", "text, or json: one JSON object a line.")
    duckdb_memory: int = _setting(
        1536,
        "DuckDB: MiB of memory for its cache of the file and its queries' work; past it, it reads "
        "the file again and spills to temporary files (0: DuckDB's own limit, 80% of the RAM). "
        "On PostgreSQL, for the DuckDB that makes the counts after a large write.",
        0,
    )
    columnar_copy: str = _setting(
        "",
        "PostgreSQL: a columnar copy of the data in each worker, which answers graphs while it "
        "holds the data's current version: memory, or a folder for its file (empty: none).",
    )


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    minimum: int = 1  # for a number

    @property
    def variable(self) -> str:
        return f"INTRAGRAPH_{self.name.upper()}"

    @property
    def option(self) -> str:
        """The command-line option that sets it."""
        return "--database" if self.name == "database_url" else f"--{self.name.replace('_', '-')}"


SETTINGS = tuple(
    Setting(f.name, f.default, f.metadata["help"], f.metadata["minimum"]) for f in fields(Settings)
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


def _typed(setting: Setting, raw: Any) -> Any:
    kind = type(setting.default)
    if kind in (int, float) and not isinstance(raw, kind):
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or value < setting.minimum:
            least = "a positive" if setting.minimum else "a non-negative"
            raise ConfigError(
                f"{setting.variable}={raw!r} is not valid: expected {least} "
                f"{'integer' if kind is int else 'number'}"
            )
        return value
    return raw


def load(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from defaults, then the environment, then `overrides` (options given)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = (overrides or {}).get(setting.name)
        if raw is None:
            raw = environ.get(setting.variable, setting.default)
        values[setting.name] = _typed(setting, raw)
    if values["log_format"] not in ("text", "json"):
        raise ConfigError(
            f"INTRAGRAPH_LOG_FORMAT={values['log_format']!r} is not valid: expected text or json"
        )
    if values["log_level"] not in ("debug", "info", "warning", "error"):
        raise ConfigError(
            f"INTRAGRAPH_LOG_LEVEL={values['log_level']!r} is not valid: "
            "expected debug, info, warning or error"
        )
    try:
        parse_zone(values["time_zone"])
    except BadRequest:
        raise ConfigError(
            f"INTRAGRAPH_TIME_ZONE={values['time_zone']!r} is not valid: expected an IANA "
            "time zone name"
        ) from None
    return Settings(**values)
