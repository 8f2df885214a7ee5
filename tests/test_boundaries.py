"""The core package stays Ray-free and independent of the shells built on it (DESIGN.md, Boundaries)."""

import ast
import re

from tests.conftest import ROOT

FORBIDDEN = ("ray", "actors", "serve", "tune", "jobs")


def imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_core_imports_no_ray_and_no_shell():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / "rlhf").rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert offenders == []


def test_only_jobs_parse_command_lines():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("rlhf", "actors", "serve", "tune")
        for path in (ROOT / folder).rglob("*.py")
        if "argparse" in set(imported_modules(path))
    ]
    assert offenders == []


def _offenders(folders, forbidden, roots=("actors", "jobs", "serve", "tune", "bench", "tests")):
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for folder in folders
        for path in (ROOT / folder).rglob("*.py")
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_no_module_edits_sys_path():
    edit = re.compile(r"sys\.path\s*(\[|\.(insert|append|extend|remove|pop|clear)\(|\+?=)")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("rlhf", "actors", "serve", "tune", "jobs", "bench", "tests")
        for path in (ROOT / folder).rglob("*.py")
        if path.name != "test_boundaries.py" and edit.search(path.read_text())
    ]
    assert offenders == []


def test_tune_serving_and_actors_do_not_reach_into_the_command_lines():
    """jobs/ are thin command lines: what others call lives in actors/, tune/ or rlhf/."""
    assert _offenders(("tune", "serve", "actors", "bench"), ("jobs",)) == []


def test_jobs_import_each_other_only_by_package_name():
    """`from jobs import sft`, never `import sft` found through the script's own folder."""
    scripts = {p.stem for p in (ROOT / "jobs").glob("*.py")} - {"__init__"}
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / "jobs").glob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in scripts
    ]
    assert offenders == []


def test_serving_does_not_import_the_ppo_trainer():
    """The endpoint scores with the reward model (rlhf.models), never with PPO's code or settings."""
    assert _offenders(("serve",), ("rlhf.ppo",)) + _offenders(("rlhf/serving",), ("rlhf.ppo",)) == []
