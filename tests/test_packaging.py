"""The project's own files agree with each other: docs cannot drift from the code."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tomllib

import pytest

from analysis.cli import build_parser


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_names_the_same_packages_as_pyproject(project_dir):
    pyproject = tomllib.loads((project_dir / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for extra in project["optional-dependencies"].values() for r in extra}
    names = set()
    text = (project_dir / "environment.yml").read_text(encoding="utf-8")
    for line in text.split("dependencies:", 1)[1].splitlines():
        entry = re.match(r"^\s+- ([A-Za-z0-9_.\-]+)", line)
        if entry and entry.group(1) not in ("python", "pip", "-e"):
            names.add(_name(entry.group(1)))
    assert names == wanted


def test_constraints_pin_every_dependency(project_dir):
    pins = {
        _name(line)
        for line in (project_dir / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    pyproject = tomllib.loads((project_dir / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    needed = {_name(r) for r in project["dependencies"]}
    needed |= {_name(r) for r in project["optional-dependencies"]["dev"]}
    assert needed <= pins


def test_notebooks_are_stored_without_outputs(project_dir):
    for path in sorted((project_dir / "notebooks").glob("**/*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        dirty = [
            i
            for i, cell in enumerate(notebook["cells"])
            if cell.get("outputs") or cell.get("execution_count")
        ]
        assert not dirty, f"{path.name}: cells {dirty} carry outputs; strip them before committing"


def _make_targets(project_dir) -> set[str]:
    text = (project_dir / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.M))


def test_make_help_lists_every_target(project_dir):
    result = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=True,
    )
    listed = set(re.findall(r"make (\S+)", result.stdout))
    assert listed == _make_targets(project_dir)


def _readme(project_dir) -> str:
    return (project_dir / "README.md").read_text(encoding="utf-8")


def test_readme_shows_the_two_commands_first(project_dir):
    blocks = re.findall(r"```sh\n(.*?)```", _readme(project_dir), flags=re.S)
    assert blocks[0].split() == ["make", "report", "make", "test"]


def test_every_make_target_the_readme_names_exists(project_dir):
    named = set(re.findall(r"`make ([a-z-]+)`", _readme(project_dir)))
    assert named <= _make_targets(project_dir)
    for target in named:  # and make can plan it (a dry run resolves every prerequisite)
        subprocess.run(["make", "-n", target], cwd=project_dir, check=True, capture_output=True)


def test_every_cli_command_is_documented_in_the_readme(project_dir):
    readme = _readme(project_dir)
    commands = build_parser()._subparsers._group_actions[0].choices
    for name in commands:
        assert f"`takedowns {name}" in readme, f"takedowns {name} is not in the README"


def test_ci_runs_the_readme_commands(project_dir):
    script = (project_dir / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in script
    assert "make report" in script


@pytest.mark.parametrize("target", ["report", "test", "test-fast"])
def test_readme_make_targets_set_up_the_environment(project_dir, target):
    # A fresh machine has no .venv: both commands must build it first (the stamp target).
    plan = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", target],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "-m venv" in plan and "-c constraints.txt" in plan


def test_readme_command_examples_run(project_dir, tmp_path):
    from analysis.cli import main

    examples = re.findall(r"^(takedowns (?:metrics|report) .+)$", _readme(project_dir), flags=re.M)
    assert examples
    shutil.copytree(project_dir / "data" / "raw", tmp_path / "raw")
    raw, out = str(tmp_path / "raw"), str(tmp_path / "processed")
    assert main(["clean", "--raw", raw, "--out", out]) == 0
    for line in examples:
        args = shlex.split(line)[1:]
        if args[0] == "metrics":  # cheap: run it on a copy of the built-in data
            assert main([*args, "--data", str(tmp_path)]) == 0, line
        else:  # report runs every notebook; tests/test_reports.py does that, here it must parse
            build_parser().parse_args(args)
