"""Imports go one way: down the layers of DEVELOPERS.md ("Layers"), never up, and never in a circle.

Every module of `intranet/` and `notifier/` is parsed with `ast` (nothing is imported); every
`import` counts wherever it is written: at the top, inside a function, or under `TYPE_CHECKING`
(a type from a higher layer is still knowledge of that layer). A module belongs to the layer of the
longest prefix of its name in `LAYERS`, so a package that spans layers lists its modules
(`intranet.outbox.service` is foundation, `intranet.outbox.views` a reader). Within one layer,
units (the prefixes in `LAYERS`) may import each other, but never in a circle; within one unit,
modules never import each other in a circle either."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("intranet", "notifier")
# a feature's demo step (`<feature>/demo.py`, `*_demo.py`) and its commands (`<feature>/cli.py`,
# `*_cli.py`) are entry points: each module is a unit of its own in these layers
DEMO_STEPS = "intranet.<feature>.demo, intranet.<feature>.*_demo"
COMMANDS = "intranet.<feature>.cli, intranet.<feature>.*_cli"

# lowest first; each entry: (layer, units). A unit is a module or a package (with its submodules).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "intranet.config",
            "intranet.clock",
            "intranet.database",
            "intranet.db_tx",
            "intranet.extensions",
            "intranet.coltypes",
            "intranet.actors",
            "intranet.pagination",
            "intranet.security",
            "intranet.limits",
            "intranet.api_auth",
            "intranet.errors",
            "intranet.error_pages",
            "intranet.edge",
            "intranet.uscc",
            "intranet.countries",
            "intranet.i18n",
            "intranet.templating",
            "intranet.audit.models",
            "intranet.audit.service",
            "intranet.audit.actions",
            "intranet.cli_support",
            "intranet.outbox.models",
            "intranet.outbox.segments",
            "intranet.outbox.sms",
            "intranet.outbox.service",
            "intranet.outbox.dispatch",
            "intranet.heartbeat",
            "intranet.forms_support",
            "intranet.tasks",
            "intranet.storage",
            "intranet.confirmations",
            "intranet.site",
            "intranet.shortlinks",
        ),
    ),
    ("reference data", ("intranet.programmes", "intranet.districts", "intranet.workdays")),
    ("parties", ("intranet.auth", "intranet.enterprises")),
    ("roster", ("intranet.roster",)),
    ("policies and certificates", ("intranet.policies", "intranet.certificates")),
    ("cases", ("intranet.losses", "intranet.credit_reports", "intranet.notices", "intranet.consultations")),
    (
        "readers",
        (
            "intranet.dashboards",
            "intranet.exports",
            "intranet.portal",
            "intranet.api",
            "intranet.outbox",
            "intranet.audit",
            "intranet.main",
            "intranet.districts.views",
            "intranet.districts.worklist",
        ),
    ),
    ("scheduled jobs", ("intranet.reminders",)),
    ("demo data", ("intranet.demo.context", DEMO_STEPS, "intranet.demo")),
    ("command line", (COMMANDS,)),
    ("app", ("intranet", "intranet.models", "intranet.commands")),
    ("notifier", ("notifier",)),
    ("console script", ("intranet.cli",)),
]
PACKAGE_ONLY = {"intranet"}  # the app factory is `intranet/__init__.py`, not every module under it


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (or package)
    path: Path
    line: int

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join([*package, base] if base else package)
    for alias in node.names:  # `from pkg import module` imports the module, not just the package
        candidate = f"{base}.{alias.name}"
        yield candidate if candidate in MODULES else base


def project_imports() -> list[Import]:
    imports = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(module, path, node):
                    if target.split(".")[0] in PACKAGES:
                        imports.append(Import(module, target, path, node.lineno))
    return imports


def _role(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) < 3 or parts[0] != "intranet":
        return None
    if parts[-1] == "demo" or parts[-1].endswith("_demo"):
        return DEMO_STEPS
    if parts[-1] == "cli" or parts[-1].endswith("_cli"):
        return COMMANDS
    return None


def unit_of(module: str) -> tuple[int, str] | None:
    """(layer index, unit) of the longest matching unit prefix, or None for an unplaced module."""
    role = _role(module)
    if role is not None:
        return next(i for i, (_, units) in enumerate(LAYERS) if role in units), module
    best: tuple[int, str] | None = None
    for index, (_, units) in enumerate(LAYERS):
        for unit in units:
            inside = module.startswith(unit + ".") and unit not in PACKAGE_ONLY
            if (module == unit or inside) and (best is None or len(unit) > len(best[1])):
                best = (index, unit)
    return best


def layer_order() -> str:
    lines = ["The layers, lowest first (a module may import its own layer's units or lower ones):"]
    shown = {unit: f"{unit} (its __init__.py only)" for unit in PACKAGE_ONLY}
    lines += [f"  {i}. {name}: {', '.join(shown.get(u, u) for u in units)}" for i, (name, units) in enumerate(LAYERS)]
    return "\n".join(lines)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected component with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _report(title: str, lines: list[str]) -> str:
    return "\n".join([title, *(f"  {line}" for line in lines), "", layer_order()])


def test_every_module_has_a_layer():
    unplaced = sorted(module for module in MODULES if unit_of(module) is None)
    assert not unplaced, _report("Modules that belong to no layer (add them to LAYERS):", unplaced)


def test_no_import_goes_up_a_layer():
    upward = []
    for imp in project_imports():
        source, target = unit_of(imp.source), unit_of(imp.target)
        if source is None or target is None or target[0] <= source[0]:
            continue
        upward.append(
            f"{imp.where()}: {imp.source} ({LAYERS[source[0]][0]}) imports {imp.target} ({LAYERS[target[0]][0]})"
        )
    assert not upward, _report(f"{len(upward)} import(s) go up a layer:", upward)


def test_units_of_one_layer_import_each_other_without_circles():
    edges: dict[str, set[str]] = defaultdict(set)
    sites: dict[tuple[str, str], list[str]] = defaultdict(list)
    for imp in project_imports():
        source, target = unit_of(imp.source), unit_of(imp.target)
        if source and target and source[1] != target[1] and source[0] == target[0]:
            edges[source[1]].add(target[1])
            sites[source[1], target[1]].append(imp.where())
    lines = []
    for cycle in _cycles(edges):
        lines.append(" <-> ".join(cycle))
        for a in cycle:
            for b in cycle:
                lines += [f"    {a} -> {b} at {site}" for site in sites.get((a, b), [])]
    assert not lines, _report("Units of one layer import each other in a circle:", lines)


def test_modules_of_one_unit_import_each_other_without_circles():
    edges: dict[str, set[str]] = defaultdict(set)
    sites: dict[tuple[str, str], list[str]] = defaultdict(list)
    for imp in project_imports():
        source, target = unit_of(imp.source), unit_of(imp.target)
        same_unit = source is not None and target is not None and source[1] == target[1]
        if same_unit and imp.target in MODULES and imp.source != imp.target:
            edges[imp.source].add(imp.target)
            sites[imp.source, imp.target].append(imp.where())
    lines = []
    for cycle in _cycles(edges):
        lines.append(" <-> ".join(cycle))
        for a in cycle:
            for b in cycle:
                lines += [f"    {a} -> {b} at {site}" for site in sites.get((a, b), [])]
    assert not lines, _report("Modules import each other in a circle:", lines)


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("intranet.outbox.service", "foundation"),
        ("intranet.outbox.views", "readers"),
        ("intranet.losses.service", "cases"),
        ("intranet.districts.service", "reference data"),
        ("intranet.districts.worklist", "readers"),
        ("intranet.roster.notice_demo", "demo data"),
        ("intranet.programmes.cli", "command line"),
        ("intranet.cli", "console script"),
    ],
)
def test_a_package_that_spans_layers_is_placed_module_by_module(module, layer):
    placed = unit_of(module)
    assert placed is not None and LAYERS[placed[0]][0] == layer
