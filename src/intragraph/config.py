"""Typed settings from INTRAGRAPH_* variables and command-line options, built by a function.

`SETTINGS` is the one list: `load` reads and checks every entry (a bad value is named with its
variable and the type expected), and a test holds the README's configuration table to it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intragraph.errors import BadRequest, ConfigError
from intragraph.periods import parse_zone


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str

    @property
    def variable(self) -> str:
        return f"INTRAGRAPH_{self.name.upper()}"


SETTINGS = (
    Setting(
        "database_url",
        "./intragraph.duckdb",
        "The database: a DuckDB file path, duckdb:///path or postgresql://user@host/db.",
    ),
    Setting("host", "127.0.0.1", "The address `serve` listens on."),
    Setting("port", 8000, "The port `serve` listens on."),
    Setting(
        "time_zone",
        "UTC",
        "The time zone of graphs whose request names none (an IANA name).",
    ),
    Setting("log_level", "info", "debug, info, warning or error."),
    Setting("token_ttl", 7200, "Seconds an access token lives."),
    Setting(
        "redis_url",
        "",
        "Redis for the rate-limit counters, shared by every worker (empty: in memory).",
    ),
    Setting("workers", 1, "Worker processes of `serve` (more than 1 needs PostgreSQL and Redis)."),
    Setting("pool_size", 10, "PostgreSQL: connections per worker."),
    Setting("pool_timeout", 5.0, "PostgreSQL: seconds to wait for a connection before a 503."),
    Setting("statement_timeout", 30000, "PostgreSQL: milliseconds a graph query may run."),
)


@dataclass(frozen=True)
class Settings:
    database_url: str = "./intragraph.duckdb"
    host: str = "127.0.0.1"
    port: int = 8000
    time_zone: str = "UTC"
    log_level: str = "info"
    token_ttl: int = 7200
    redis_url: str = ""
    workers: int = 1
    pool_size: int = 10
    pool_timeout: float = 5.0
    statement_timeout: int = 30000


def _typed(setting: Setting, raw: Any) -> Any:
    kind = type(setting.default)
    if kind in (int, float) and not isinstance(raw, kind):
        try:
            value = kind(raw)
        except ValueError:
            value = None
        if value is None or value <= 0:
            raise ConfigError(
                f"{setting.variable}={raw!r} is not valid: expected a positive "
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
