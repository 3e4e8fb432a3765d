"""The project's own files agree with each other: docs cannot drift from the code."""

from __future__ import annotations

import csv
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


@pytest.mark.slow  # runs every report notebook
def test_readme_command_examples_run(project_dir, tmp_path, monkeypatch, capsys):
    # Each `takedowns report` / `takedowns metrics` line of the README, run as written on a copy
    # of the built-in raw data (TAKEDOWNS_DATA; nothing cleaned yet), reports into a temporary
    # folder, and checked against what the README says it does.
    from analysis.cli import main

    examples = re.findall(r"^(takedowns (?:metrics|report) .+)$", _readme(project_dir), flags=re.M)
    assert {line.split()[1] for line in examples} == {"metrics", "report"}
    data = tmp_path / "data"
    shutil.copytree(project_dir / "data" / "raw", data / "raw")
    monkeypatch.setenv("TAKEDOWNS_DATA", str(data))
    monkeypatch.setenv("CI", "true")  # no progress lines
    stems = sorted(p.stem for p in (project_dir / "notebooks").glob("*.ipynb"))
    lag_tables = []
    for number, line in enumerate(examples):
        args = shlex.split(line)[1:]
        capsys.readouterr()
        if args[0] == "report":
            out = tmp_path / f"reports-{number}"
            assert main([*args, "--out", str(out)]) == 0, line
            printed = capsys.readouterr().out
            # "cleans if data/raw changed, runs every notebook, writes HTML, chart PNG + CSV and
            # index.html"
            assert (data / "processed" / "manifest.json").is_file(), line
            assert f"Reports written: {out / 'index.html'}" in printed, line
            assert (out / "index.html").is_file()
            given = dict(build_parser().parse_args(args).p)  # the -p NAME VALUE pairs
            for stem in stems:
                assert (out / f"{stem}.html").is_file(), (line, stem)
                notebook = json.loads((out / f"{stem}.ipynb").read_text(encoding="utf-8"))
                injected = notebook["metadata"]["papermill"]["parameters"]
                assert {name: injected.get(name) for name in given} == given, (line, stem)
            # every chart's data beside it (a thumbnail for the index is the chart again)
            pngs = sorted(p for p in out.glob("*/*.png") if not p.stem.endswith("-thumb"))
            assert pngs and all(p.with_suffix(".csv").is_file() for p in pngs), pngs
            lag_tables.append(out / "02-compliance-lag" / "lag-by-order.csv")
        else:
            assert main(args) == 0, line
            printed = capsys.readouterr().out
            # "prints the numbers a report charts, and its sentences": one per order the
            # report's table of that metric holds (the same as-of date in the README's examples)
            sentences = [s for s in printed.splitlines() if s.startswith("- Order ")]
            assert sentences, (line, printed)
            if args[1] == "lag" and lag_tables:
                with lag_tables[-1].open(encoding="utf-8") as table:
                    orders = [row["order_id"] for row in csv.DictReader(table)]
                assert orders, lag_tables[-1]
                for order in orders:
                    assert any(s.startswith(f"- Order {order} ") for s in sentences), order
                    assert any(order in row.split() for row in printed.splitlines()), order


def test_refresh_workflow_fetches_only_with_tokens_and_always_renders(project_dir):
    import yaml

    flow = yaml.safe_load((project_dir / ".github/workflows/refresh.yml").read_text())
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["schedule"][0]["cron"] and "workflow_dispatch" in triggers
    job = flow["jobs"]["refresh"]
    assert job["env"]["LUMEN_API_TOKEN"] == "${{ secrets.LUMEN_API_TOKEN }}"
    assert job["env"]["X_BEARER_TOKEN"] == "${{ secrets.X_BEARER_TOKEN }}"
    steps = job["steps"]
    runs = [step.get("run", "") for step in steps]
    assert "make setup" in runs
    for step in steps:
        assert "secrets." not in str(step.get("if", "")), "secrets cannot be tested in if:"
        command = step.get("run", "")
        if ("fetch" in command and "lumen" in command) or (
            "takedowns watch" in command and "--replay" not in command
        ):
            token = "LUMEN_API_TOKEN" if "lumen" in command else "X_BEARER_TOKEN"
            assert step["if"] == f"${{{{ env.{token} != '' }}}}", step
    render = next(step for step in steps if step.get("run") == "make report")
    assert render["if"] == "${{ !cancelled() }}"
    # the replay (offline) runs before the report, with or without a token
    assert runs.index(".venv/bin/takedowns watch --replay") < runs.index("make report")


def test_make_report_needs_no_token_or_network(project_dir):
    plan = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", "report"],
        cwd=project_dir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "takedowns report" in plan
    assert "fetch" not in plan and "watch" not in plan and "TOKEN" not in plan
