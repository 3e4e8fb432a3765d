"""The house rules of src/analysis, checked on the source (docs/architecture.md explains them).

* The package is a row of stage packages; a module imports only its own stage, ``core`` and
  earlier stages, so data flow one way: raw file -> ingest -> clean -> Parquet -> metrics -> report.
* No module imports another module's ``_private`` name, nor reaches for one through a module it
  imported: what several rooms need is public, in ``core`` or in the room that owns it.
* Nothing imports the command line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "analysis"

#: The stages in pipeline order. A module may import from its own stage and any stage before it.
STAGES = ("core", "store", "ingest", "clean", "scale", "fetch", "metrics", "report", "cli")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("analysis", *path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _stage(module: str) -> int | None:
    """Position of ``module``'s stage in :data:`STAGES`; ``None`` for the package root."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return None if len(parts) == 1 else len(STAGES) - 1
    return STAGES.index(parts[1])


def _imports(module: str, path: Path) -> list[tuple[int, str, str | None]]:
    """``(line, imported module, imported name or None)`` for every ``analysis`` import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name, None) for a in node.names if a.name.startswith("analysis")
            ]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if not base.startswith("analysis"):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:  # `from analysis.core import times` imports a module
                    found.append((node.lineno, full, None))
                else:
                    found.append((node.lineno, base, alias.name))
    return found


def test_every_module_lives_in_a_stage_package():
    strays = [m for m in MODULES if m.count(".") == 1 and m.split(".")[1] not in STAGES]
    assert strays == ["analysis.__main__"], "modules outside the stage packages: " + ", ".join(
        strays
    )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_flow_one_way(module):
    here = _stage(module)
    wrong = []
    for line, target, _ in _imports(module, MODULES[module]):
        there = _stage(target)
        if there is None:
            continue  # `from analysis import __version__`
        if STAGES[there] == "cli" and module != "analysis.__main__":
            wrong.append(f"line {line}: imports the command line ({target})")
        elif here is not None and there > here:
            wrong.append(f"line {line}: {STAGES[here]} imports {target} (a later stage)")
    assert not wrong, f"{module}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_crosses_a_module(module):
    path = MODULES[module]
    wrong = [
        f"line {line}: from {target} import {name}"
        for line, target, name in _imports(module, path)
        if name and name.startswith("_") and not name.startswith("__")
    ]
    # `module._name` through a module imported as a whole
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("analysis"):
            for alias in node.names:
                if f"{node.module}.{alias.name}" in MODULES:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            wrong.append(f"line {node.lineno}: {aliases[node.value.id]}.{node.attr}")
    assert not wrong, f"{module} uses private names of other modules:\n" + "\n".join(wrong)


def test_the_checker_sees_a_violation(tmp_path):
    """The rules above are not vacuous: a planted bad module is caught by both."""
    bad = tmp_path / "bad.py"
    bad.write_text("from analysis.report.charts import _frame\nfrom analysis.metrics import lag\n")
    imports = _imports("analysis.core.bad", bad)
    assert (1, "analysis.report.charts", "_frame") in imports
    assert _stage("analysis.report.charts") > _stage("analysis.core.bad")
