"""Shared loaders for the deployment checks: a kustomize renderer, the compose file, Settings.

The renderer implements exactly the kustomize features deploy/k8s uses — `resources` (files and
directories), `namespace`, `images`, and `patches` (strategic-merge files, or inline JSON6902 with
a kind/name target) — and refuses any other kustomization field, so it cannot silently render
something different from `kubectl kustomize`. test_deploy_k8s.py also compares its output with
`kubectl kustomize` (kubectl ships in every machine image of this workplace).

Helpers are fixtures (not an importable module) so they work under any pytest import mode.
"""

from __future__ import annotations

import copy
import importlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
SERVICES = {  # compose service / k8s name -> Python package
    "task-ledger": "task_ledger",
    "deadline-watcher": "deadline_watcher",
    "notifier": "notifier",
}

Doc = dict[str, Any]

# ---------------------------------------------------------------------------------------------
# kustomize renderer

SUPPORTED_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
}
# Strategic-merge keys of the built-in list fields the patches touch (from the Kubernetes API's
# patchMergeKey). Lists without a known key are replaced, as kustomize does.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "topologySpreadConstraints": "topologyKey",
}
BUILTIN_GROUPS = {
    "v1",
    "apps/v1",
    "batch/v1",
    "policy/v1",
    "autoscaling/v2",
    "networking.k8s.io/v1",
}


class KustomizeError(Exception):
    pass


def _load_docs(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def _strategic_merge(base: Any, patch: Any, builtin: bool) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            if isinstance(key, str) and key.startswith("$"):
                raise KustomizeError(f"patch directive {key} is not supported by this renderer")
            if value is None:
                out.pop(key, None)
            elif key in out and isinstance(out[key], list) and isinstance(value, list):
                merge_key = MERGE_KEYS.get(key) if builtin else None
                out[key] = _merge_list(out[key], value, merge_key, builtin)
            elif key in out:
                out[key] = _strategic_merge(out[key], value, builtin)
            else:
                out[key] = copy.deepcopy(value)
        return out
    return copy.deepcopy(patch)


def _merge_list(base: list[Any], patch: list[Any], key: str | None, builtin: bool) -> list[Any]:
    if key is None or not all(isinstance(i, dict) and key in i for i in base + patch):
        if not builtin and any(isinstance(i, dict) for i in base + patch):
            # kyaml would merge lists of maps on a CRD by an associative key; not needed here.
            raise KustomizeError("list-of-maps patches on custom resources are not supported")
        return copy.deepcopy(patch)
    out = [copy.deepcopy(i) for i in base]
    for item in patch:
        for n, existing in enumerate(out):
            if existing[key] == item[key]:
                out[n] = _strategic_merge(existing, item, builtin)
                break
        else:
            out.append(copy.deepcopy(item))
    return out


def _json6902(doc: Doc, ops: list[Doc]) -> Doc:
    doc = copy.deepcopy(doc)
    for op in ops:
        if op["op"] not in ("replace", "add"):
            raise KustomizeError(f"JSON6902 op {op['op']} is not supported by this renderer")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        node: Any = doc
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            idx = len(node) if last == "-" else int(last)
            if op["op"] == "add":
                node.insert(idx, copy.deepcopy(op["value"]))
            else:
                node[idx] = copy.deepcopy(op["value"])
        else:
            if op["op"] == "replace" and last not in node:
                raise KustomizeError(f"replace of a missing path {op['path']}")
            node[last] = copy.deepcopy(op["value"])
    return doc


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def _matches(doc: Doc, target: Doc) -> bool:
    if "kind" in target and doc["kind"] != target["kind"]:
        return False
    if "name" in target and doc["metadata"]["name"] != target["name"]:
        return False
    return not ("group" in target and _group(doc["apiVersion"]) != target["group"])


def _apply_images(doc: Doc, images: list[Doc]) -> None:
    def containers(spec: Doc) -> Iterator[Doc]:
        for field in ("containers", "initContainers"):
            yield from spec.get(field, [])

    spec = doc.get("spec", {})
    pod_specs = []
    if isinstance(spec.get("template"), dict):
        pod_specs.append(spec["template"].get("spec", {}))
    if isinstance(spec.get("jobTemplate"), dict):
        pod_specs.append(spec["jobTemplate"]["spec"]["template"]["spec"])
    for pod in pod_specs:
        for c in containers(pod):
            name, _, tag = c["image"].partition(":")
            for img in images:
                if img["name"] == name:
                    c["image"] = f"{img.get('newName', name)}:{img.get('newTag', tag)}"


def render_kustomization(directory: Path) -> list[Doc]:
    kfile = directory / "kustomization.yaml"
    spec = yaml.safe_load(kfile.read_text(encoding="utf-8"))
    unsupported = set(spec) - SUPPORTED_FIELDS
    if unsupported:
        raise KustomizeError(f"{kfile}: fields not implemented by this renderer: {unsupported}")
    docs: list[Doc] = []
    for entry in spec.get("resources", []):
        path = (directory / entry).resolve()
        docs += render_kustomization(path) if path.is_dir() else _load_docs(path)
    for patch in spec.get("patches", []):
        if "path" in patch:
            patch_docs = _load_docs(directory / patch["path"])
        else:
            patch_docs = [yaml.safe_load(patch["patch"])]
        for pdoc in patch_docs:
            if isinstance(pdoc, list):  # JSON6902: needs a target
                target = patch["target"]
                hits = [i for i, d in enumerate(docs) if _matches(d, target)]
                if not hits:
                    raise KustomizeError(f"patch target {target} matches nothing")
                for i in hits:
                    docs[i] = _json6902(docs[i], pdoc)
                continue
            target = patch.get("target") or {
                "kind": pdoc["kind"],
                "name": pdoc["metadata"]["name"],
                "group": _group(pdoc["apiVersion"]),
            }
            hits = [i for i, d in enumerate(docs) if _matches(d, target)]
            if len(hits) != 1:
                raise KustomizeError(f"patch {target} matches {len(hits)} resources, not 1")
            i = hits[0]
            builtin = docs[i]["apiVersion"] in BUILTIN_GROUPS
            docs[i] = _strategic_merge(docs[i], pdoc, builtin)
    if "namespace" in spec:
        for d in docs:
            if d["kind"] not in CLUSTER_SCOPED:
                d["metadata"]["namespace"] = spec["namespace"]
    for d in docs:
        _apply_images(d, spec.get("images", []))
    seen: set[tuple[str, str, str]] = set()
    for d in docs:
        ident = (d["apiVersion"], d["kind"], d["metadata"]["name"])
        if ident in seen:
            raise KustomizeError(f"duplicate resource {ident}")
        seen.add(ident)
    return docs


@pytest.fixture(scope="session")
def render() -> Callable[[str], list[Doc]]:
    cache: dict[str, list[Doc]] = {}

    def _render(overlay: str) -> list[Doc]:
        if overlay not in cache:
            cache[overlay] = render_kustomization(K8S / "overlays" / overlay)
        return copy.deepcopy(cache[overlay])

    return _render


# ---------------------------------------------------------------------------------------------
# docker compose

_INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?])([^}]*))?\}")


def interpolate(value: str, env: dict[str, str] | None = None) -> str:
    """Compose interpolation: `${X:-default}` -> X from `env`, else the default; `${X:?message}`
    -> X from `env`, else an error (compose refuses to start); `$$` -> `$`."""
    env = env or {}

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, operator, rest = m.groups()
        if name in env:
            return env[name]
        if operator == "?":
            raise KeyError(f"compose requires {name}: {rest}")
        return rest or ""

    return _INTERPOLATION.sub(sub, value)


def required_variables(text: str) -> set[str]:
    """The variables compose refuses to start without (`${X:?...}`)."""
    return {m.group(1) for m in _INTERPOLATION.finditer(text) if m.group(2) == "?"}


@pytest.fixture(scope="session")
def compose() -> Doc:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def generate_dotenv(folder: Path, environ: dict[str, str] | None = None) -> dict[str, str]:
    """What `make up` writes: deploy/compose-secrets.sh run on the compose file into folder/.env."""
    import os
    import subprocess

    dotenv = folder / ".env"
    env = {k: v for k, v in os.environ.items() if not k.endswith("_SECRET_KEY")} | (environ or {})
    subprocess.run(
        ["bash", str(ROOT / "deploy" / "compose-secrets.sh"), str(ROOT / "docker-compose.yml"),
         str(dotenv)],
        check=True, capture_output=True, env=env, timeout=30,
    )  # fmt: skip
    return dict(line.split("=", 1) for line in dotenv.read_text().splitlines() if line)


@pytest.fixture(scope="session")
def compose_dotenv(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return generate_dotenv(tmp_path_factory.mktemp("compose"))


# ---------------------------------------------------------------------------------------------
# Settings


def settings_class(package: str) -> Any:
    return importlib.import_module(f"{package}.settings").Settings


def setting_env_names(package: str) -> set[str]:
    return {f"DUBAN_{name.upper()}" for name in settings_class(package).model_fields}


@pytest.fixture
def load_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, dict[str, str]], Any]:
    """Instantiate a service's Settings from exactly `env` (no other DUBAN_* variable, no .env)."""

    def _load(package: str, env: dict[str, str]) -> Any:
        import os

        for key in list(os.environ):
            if key.startswith("DUBAN_"):
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return settings_class(package)(_env_file=None)

    return _load


@pytest.fixture(scope="session")
def deploy() -> Any:
    """The plain helpers of this conftest, for the test modules."""
    from types import SimpleNamespace

    return SimpleNamespace(
        ROOT=ROOT,
        K8S=K8S,
        OVERLAYS=OVERLAYS,
        SERVICES=SERVICES,
        KustomizeError=KustomizeError,
        render_kustomization=render_kustomization,
        interpolate=interpolate,
        required_variables=required_variables,
        generate_dotenv=generate_dotenv,
        settings_class=settings_class,
        setting_env_names=setting_env_names,
    )
