"""Services import contracts and the shared library, never each other."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Services never import each other KEPT" in result.stdout


def test_the_check_fails_when_a_service_imports_another(tmp_path: Path) -> None:
    for name, body in {
        "svc_a": "import svc_b.handlers\n",
        "svc_b": "",
    }.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(body)
    (tmp_path / "svc_b" / "handlers.py").write_text("")
    (tmp_path / "setup.cfg").write_text(
        textwrap.dedent(
            """
            [importlinter]
            root_packages =
                svc_a
                svc_b
            [importlinter:contract:independence]
            name = Services never import each other
            type = independence
            modules =
                svc_a
                svc_b
            """
        )
    )
    result = subprocess.run(
        [str(LINT_IMPORTS), "--config", "setup.cfg"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "svc_a -> svc_b" in result.stdout or "BROKEN" in result.stdout


# --- every test module says what kind of test it is ---------------------------------------

KINDS = {"unit", "integration", "e2e"}
TEST_ROOTS = ("contracts", "libs", "services", "tests", "bench")


def _module_kinds(source: str) -> set[str]:
    """The kinds a module's top-level `pytestmark = pytest.mark.X` (or a list of marks) names."""
    found: set[str] = set()
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if not any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in targets):
            continue
        value = node.value
        for sub in ast.walk(value) if value is not None else ():
            if (
                isinstance(sub, ast.Attribute)
                and sub.attr in KINDS
                and isinstance(sub.value, ast.Attribute)
                and sub.value.attr == "mark"
            ):
                found.add(sub.attr)
    return found


def _test_modules() -> list[Path]:
    return sorted(
        path
        for root in TEST_ROOTS
        for path in (ROOT / root).rglob("test_*.py")
        if ".venv" not in path.parts
    )


def test_the_marker_check_sees_a_missing_or_foreign_marker() -> None:
    assert _module_kinds("import pytest\npytestmark = pytest.mark.unit\n") == {"unit"}
    marks = "pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]\n"
    assert _module_kinds(marks) == {"e2e"}
    assert _module_kinds("import pytest\n\ndef test_x() -> None:\n    pass\n") == set()
    assert _module_kinds("pytestmark = pytest.mark.slow\n") == set()


def test_every_test_module_carries_a_kind_marker() -> None:
    modules = _test_modules()
    assert len(modules) > 20, "the scan found too few test modules: is ROOT right?"
    unmarked = [
        str(path.relative_to(ROOT))
        for path in modules
        if not _module_kinds(path.read_text(encoding="utf-8"))
    ]
    assert not unmarked, (
        f"test modules without pytestmark = pytest.mark.unit|integration|e2e: {unmarked}"
    )


SERVICE_PACKAGES = {
    "task-ledger": "task_ledger",
    "deadline-watcher": "deadline_watcher",
    "notifier": "notifier",
}
# What a newcomer finds at each service package's root (docs/architecture.md).
SERVICE_ROOT = {
    "__init__.py",
    "__main__.py",
    "bootstrap.py",
    "settings.py",
    "domain",
    "service_layer",
    "adapters",
    "entrypoints",
}


@pytest.mark.parametrize("service", sorted(SERVICE_PACKAGES))
def test_each_service_root_shows_only_the_cosmicpython_layout(service: str) -> None:
    root = ROOT / "services" / service / "src" / SERVICE_PACKAGES[service]
    found = {p.name for p in root.iterdir() if p.name != "__pycache__"}
    assert found >= SERVICE_ROOT, SERVICE_ROOT - found
    assert found - SERVICE_ROOT == set()
