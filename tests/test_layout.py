"""The layout of ``docs/ARCHITECTURE.md``, held by reading the imports and string constants of
``app/`` with ``ast``: data flows one way between parts, the API enters ingestion by its front
door only, and nothing outside ``app/engines`` knows which database it runs on."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"

# the parts each part may import (besides itself): the arrows of docs/ARCHITECTURE.md
ALLOWED: dict[str, set[str]] = {
    "config": set(),
    "metrics": set(),
    "logs": set(),
    "errors": set(),
    "nlp": set(),
    "db": set(),
    "engines": {"db", "errors", "search"},
    "search": {"engines", "errors"},
    "queries": {"db", "engines", "errors", "search"},
    "corpus": {"db"},
    "ingest": {"config", "corpus", "db", "engines", "errors", "metrics", "nlp"},
    "web": {"config", "db", "engines", "errors", "logs", "metrics"},
    "api": {"config", "db", "engines", "errors", "ingest", "metrics", "queries", "search", "web"},
    "main": {"api", "config", "db", "engines", "errors", "metrics", "search", "web"},
    "cli": {"config", "db", "engines", "ingest", "logs", "search"},
}
# the only module of a part that another may import, where a part is more than its door
ENTRANCES = {
    ("api", "ingest"): {"app.ingest"},
    ("ingest", "corpus"): {"app.corpus"},
    ("engines", "search"): {"app.search.language"},
}
# what only an engine module may say: its driver, its dialect's name, its own SQL
ENGINE_MODULES = {"sqlite3", "psycopg", "psycopg_pool"}
ENGINE_NAMES = {"sqlite", "postgresql", "SQLITE", "POSTGRESQL"}
ENGINE_SQL = (
    "PRAGMA",
    "fts5",
    " MATCH ",
    "tsvector",
    "tsquery",
    "ts_rank",
    "ts_headline",
    "ON CONFLICT",
    "FOR UPDATE",
    "sqlite_master",
    "data_version",
)


def _modules() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def _part(path: Path) -> str:
    relative = path.relative_to(APP)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _name(path: Path) -> str:
    return ".".join(("app", *path.relative_to(APP).with_suffix("").parts)).removesuffix(".__init__")


def _imports(tree: ast.AST) -> list[str]:
    """Every module imported, ``from a import b`` giving ``a.b`` too (b may be a module)."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            found += [f"{node.module}.{alias.name}" for alias in node.names]
    return found


def _is_module(name: str) -> bool:
    """Is ``app.x.y`` a module or package (not a name inside one)?"""
    path = APP.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _docstrings(tree: ast.AST) -> set[int]:
    nodes = [tree, *ast.walk(tree)]
    return {
        id(node.body[0].value)
        for node in nodes
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def arrow_breaches(part: str, source: str) -> list[str]:
    """The imports of a module of ``part`` that go against the arrows."""
    wrong = []
    for imported in _imports(ast.parse(source)):
        if not imported.startswith("app.") or not _is_module(imported):
            continue
        target = imported.split(".")[1]
        if target == part:
            continue
        if target not in ALLOWED[part]:
            wrong.append(f"{imported} (the part {part!r} may not import {target!r})")
        elif (entrances := ENTRANCES.get((part, target))) and imported not in entrances:
            wrong.append(f"{imported} (enter {target!r} through {sorted(entrances)})")
    return wrong


def engine_breaches(source: str) -> list[str]:
    """What in a module names an engine: its driver, its dialect, its own SQL."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = [m for m in _imports(tree) if m.split(".")[0] in ENGINE_MODULES]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "dialect":
            found.append(f"line {node.lineno}: reads .dialect")
        elif isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                value = operand.value if isinstance(operand, ast.Constant) else None
                name = operand.id if isinstance(operand, ast.Name) else None
                if value in ENGINE_NAMES or name in ENGINE_NAMES:
                    found.append(f"line {node.lineno}: compares with an engine's name")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            found += [f"line {node.lineno}: {sql!r}" for sql in ENGINE_SQL if sql in node.value]
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(APP)))
def test_imports_follow_the_arrows(path: Path) -> None:
    wrong = arrow_breaches(_part(path), path.read_text())
    assert not wrong, f"{_name(path)} imports " + ", ".join(wrong)


@pytest.mark.parametrize(
    "path",
    [p for p in _modules() if _part(p) != "engines"],
    ids=lambda p: str(p.relative_to(APP)),
)
def test_only_engines_know_the_database(path: Path) -> None:
    found = engine_breaches(path.read_text())
    assert not found, f"{_name(path)}: " + "; ".join(found)


def test_the_checks_catch_what_they_look_for() -> None:
    """Each kind of breach is found (the checks above would otherwise pass vacuously)."""
    source = (
        '"""A docstring may say PRAGMA and fts5."""\n'
        "import sqlite3\n"
        "from app.ingest.run import ingest\n"
        "from app.ingest import RecordError\n"
        "from app.nlp import annotate\n"
        "def f(engine):\n"
        "    if engine.dialect.name == 'postgresql':\n"
        "        return 'PRAGMA data_version'\n"
    )
    assert arrow_breaches("api", source) == [
        "app.ingest.run (enter 'ingest' through ['app.ingest'])",
        "app.nlp (the part 'api' may not import 'nlp')",
    ]
    assert sorted(engine_breaches(source)) == [
        "line 7: compares with an engine's name",
        "line 7: reads .dialect",
        "line 8: 'PRAGMA'",
        "line 8: 'data_version'",
        "sqlite3",
    ]
    assert arrow_breaches("cli", source) == ["app.nlp (the part 'cli' may not import 'nlp')"]


def test_config_imports_no_part() -> None:
    tree = ast.parse((APP / "config.py").read_text())
    assert not [m for m in _imports(tree) if m.startswith("app.")]


def test_modules_stay_short() -> None:
    """No module over ~400 lines, except tables of rules, which say so in their docstring."""
    long = [
        f"{_name(p)} ({n} lines)"
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > 420
        and "table of rules" not in (ast.get_docstring(ast.parse(p.read_text())) or "")
    ]
    assert not long, ", ".join(long)
