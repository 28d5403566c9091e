"""The README says what the code does: its settings table and its curl examples, answered on the
demo data exactly as printed."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from intragraph.cli import main
from intragraph.config import SETTINGS, Setting
from intragraph.ingest import demo
from intragraph.resources import LISTED
from intragraph.store.base import Store
from tests.conftest import ENGINES, client_for, shared_store

README = (Path(__file__).parent.parent / "README.md").read_text()
EXAMPLE = re.compile(
    r"^\$ curl -sg -H \"Authorization: Bearer \$TOKEN\" 'http://127\.0\.0\.1:8000(?P<path>[^']+)'\n"
    r"(?P<answer>.+)$",
    re.M,
)
EXAMPLES = [(m["path"], m["answer"]) for m in EXAMPLE.finditer(README)]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_documented(setting: Setting) -> None:
    default = f"`{setting.default}`" if setting.default != "" else "(none)"
    assert f"| `{setting.variable}` | {default} |" in README


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 6


@pytest.fixture(scope="module", params=ENGINES)
def demo_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """The demo the examples are answered on, made once per engine (no example writes)."""
    with shared_store(request.param, tmp_path_factory.mktemp("readme")) as store:
        demo.fill(store, demo.Plan(3000, 1, 1_790_000_000), replace=False)
        yield store


@pytest.mark.parametrize(("path", "answer"), EXAMPLES)
def test_readme_examples_answer_as_shown(demo_store: Store, path: str, answer: str) -> None:
    response = client_for(demo_store, dt.datetime.now(dt.UTC)).get(path)
    expected = json.loads(answer)
    assert response.json() == expected
    assert list(response.json()) == list(expected)


CONSOLE = re.compile(
    r"^\$ intragraph (?P<demo>demo [^\n]+)\n\$ intragraph (?P<graph>--database [^\n]+)\n"
    r"(?P<answer>(?:(?!\$ )[^\n]*\n)+?)(?=\$ |```)",
    re.M,
)


def test_the_cli_example_answers_as_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's `intragraph demo` + `intragraph graph` lines, run as written (in a scratch
    folder, 80 columns wide), print the README's table."""
    found = CONSOLE.search(README)
    assert found is not None
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(env={"COLUMNS": "80"})
    made = runner.invoke(main, shlex.split(found["demo"]))
    assert made.exit_code == 0, made.output
    shown = runner.invoke(main, shlex.split(found["graph"]))
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == found["answer"]


def resource_table() -> str:
    """The README's table of resources, as the declarations in resources.py make it."""

    def names(items: tuple[str, ...]) -> str:
        return ", ".join(f"`{item}`" for item in items) or "-"

    lines = [
        "| resource | graphed on (default first) | filters | ranges and sort keys | default order "
        "| nested under |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for resource in LISTED.values():
        parents = ", ".join(
            f"{parent.key} ({parent.keys}{'' if parent.graphed else '; lists only'})"
            for parent in resource.parents.values()
        )
        order = ", ".join(f"`{'-' if desc else ''}{c}`" for c, desc in resource.order)
        lines.append(
            f"| `{resource.name}` | {names(resource.graph_fields)} | {names(resource.filters)} "
            f"| {names(resource.ranges)} | {order} | {parents or '-'} |"
        )
    return "\n".join(lines) + "\n"


def test_the_resource_table_is_the_declarations() -> None:
    assert resource_table() in README, (
        f"the README's table of resources is now:\n{resource_table()}"
    )
