"""The core package stays Ray-free and independent of the shells built on it (DESIGN.md, Boundaries)."""

import ast

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
