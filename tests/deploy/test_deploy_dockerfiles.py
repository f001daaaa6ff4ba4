"""services/*/Dockerfile: multi-stage uv builds from the repository root, non-root, health-checked.

No Docker engine here: the Dockerfiles are parsed, and every path they copy is checked against
the workspace (uv.lock says which workspace members each service needs) and .dockerignore.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest

SERVICES = {
    "task-ledger": ("task_ledger", 8000),
    "deadline-watcher": ("deadline_watcher", 8001),
    "notifier": ("notifier", 8002),
}

pytestmark = pytest.mark.unit


def instructions(path: Path) -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def workspace_members(root: Path) -> dict[str, str]:
    """package name -> member directory, from the root pyproject's workspace globs."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    members = {}
    for pattern in pyproject["tool"]["uv"]["workspace"]["members"]:
        for directory in sorted(root.glob(pattern)):
            if (directory / "pyproject.toml").is_file():
                name = tomllib.loads((directory / "pyproject.toml").read_text())["project"]["name"]
                members[name] = str(directory.relative_to(root))
    return members


@functools.cache
def locked_packages(root: Path) -> dict[str, Any]:
    return {p["name"]: p for p in tomllib.loads((root / "uv.lock").read_text())["package"]}


def workspace_dependencies(root: Path, package: str) -> set[str]:
    """The workspace members `package` needs at run time (itself included), from uv.lock."""
    packages = locked_packages(root)
    members = workspace_members(root)
    seen, todo = set(), [package]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [d["name"] for d in packages[name].get("dependencies", [])]
    return {members[n] for n in seen if n in members}


def ignored(path: str, patterns: list[str]) -> bool:
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern.lstrip("!").rstrip("/")
        hit = any(
            fnmatch.fnmatch(prefix, pat) or fnmatch.fnmatch(prefix, f"**/{pat}".lstrip("*/"))
            for prefix in (
                str(Path(*Path(path).parts[: i + 1])) for i in range(len(Path(path).parts))
            )
        )
        if hit:
            result = not negate
    return result


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_builds_the_service_with_uv_from_the_root(service: str, deploy: Any) -> None:
    root = deploy.ROOT
    package, port = SERVICES[service]
    steps = instructions(root / "services" / service / "Dockerfile")
    froms = [rest for op, rest in steps if op == "FROM"]
    assert len(froms) >= 3, "uv image, build stage, runtime stage"
    assert froms[-1].endswith(" AS runtime")

    runs = " ".join(rest for op, rest in steps if op == "RUN")
    assert f"uv sync --frozen --package {service} --no-dev --no-install-workspace" in runs
    assert f"uv sync --frozen --package {service} --no-dev --no-editable" in runs
    # Neither extras (the embedded broker is duban-common's `broker` extra) nor dev groups.
    assert not re.search(r"--(all-)?extras?\b|--all-groups|--group\b|--dev\b", runs), runs

    patterns = [
        line.strip()
        for line in (root / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied: set[str] = set()
    for op, rest in steps:
        if op == "COPY" and not rest.startswith("--from"):
            *sources, _dest = shlex.split(rest)
            for src in sources:
                assert (root / src).exists(), src
                assert not ignored(src.rstrip("/"), patterns), f"{src} is excluded by .dockerignore"
                copied.add(src.rstrip("/"))
    members = workspace_members(root)
    # uv reads the whole workspace: every member's pyproject.toml is copied...
    assert {f"{d}/pyproject.toml" for d in members.values()} <= copied
    assert {"pyproject.toml", "uv.lock"} <= copied
    # ...and the sources of every workspace member the service needs at run time.
    needed = workspace_dependencies(root, service)
    assert f"services/{service}" in needed
    assert needed <= copied, sorted(needed - copied)

    runtime = steps[[i for i, (op, _) in enumerate(steps) if op == "FROM"][-1] :]
    users = [rest for op, rest in runtime if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    copies = [rest for op, rest in runtime if op == "COPY"]
    assert copies == ["--from=build /app/.venv /app/.venv"], "the runtime gets the venv only"
    health = [rest for op, rest in runtime if op == "HEALTHCHECK"]
    assert len(health) == 1 and "/health/ready" in health[0] and str(port) in health[0]
    assert [rest for op, rest in runtime if op == "EXPOSE"] == [str(port)]
    (cmd,) = [json.loads(rest) for op, rest in runtime if op == "CMD"]
    assert cmd == ["python", "-m", package]
    assert (root / "services" / service / "src" / package / "__main__.py").is_file()


def test_dockerignore_keeps_the_context_small(deploy: Any) -> None:
    patterns = [
        line.strip()
        for line in (deploy.ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in (".git", ".venv", "data", "services/notifier/tests", "libs/common/.venv"):
        assert ignored(path, patterns), path
    for path in ("uv.lock", "contracts/src", "libs/common/src", "services/task-ledger/src"):
        assert not ignored(path, patterns), path
