"""Typed settings from INTRAGRAPH_* variables and command-line options, built by a function.

`SETTINGS` is the one list: it drives the CLI's help, the README's configuration table (a test
holds them in step) and `load`'s validation, which names the variable, the value and the type.
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
        "The database: a DuckDB file path or duckdb:///path.",
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


def _typed(setting: Setting, raw: Any) -> Any:
    if isinstance(setting.default, int) and not isinstance(raw, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(
                f"{setting.variable}={raw!r} is not valid: expected an integer"
            ) from None
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
