"""Canonical departments per jurisdiction, with aliases, loaded from ``data/departments.json``.

One department is one department across plans: 省人力资源社会保障厅, 广东省人力资源和社会保障厅
and 省人社厅 (in a Guangdong plan) all resolve to the same canonical name. A name that is not
in the registry, or that would match two departments, resolves to ``None``; it is never guessed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

NATIONAL = "国家"
_AMBIGUOUS = ""


@dataclass(frozen=True, slots=True)
class Department:
    name: str
    jurisdiction: str
    level: str  # 国家 / 省 / 自治区 / 市 / 县
    aliases: tuple[str, ...]
    kind: str = "政府部门"


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    name: str
    level: str
    prefixes: tuple[str, ...]


def normalize_name(name: str) -> str:
    name = re.sub(r"\s+", "", name).replace("(", "（").replace(")", "）")
    return name.replace("（代章）", "")


class DepartmentRegistry:
    def __init__(self, data: dict[str, Any]) -> None:
        self._jurisdictions: dict[str, Jurisdiction] = {}
        self._departments: dict[tuple[str, str], Department] = {}
        self._local: dict[str, dict[str, str]] = {}
        self._qualified: dict[str, set[tuple[str, str]]] = {}
        for entry in data["jurisdictions"]:
            self._add_jurisdiction(entry)

    @classmethod
    def load(cls, path: str | Path | None = None) -> DepartmentRegistry:
        if path is None:
            raw = (
                resources.files("duban_planparse")
                .joinpath("data/departments.json")
                .read_text(encoding="utf-8")
            )
        else:
            raw = Path(path).read_text(encoding="utf-8")
        return cls(json.loads(raw))

    def _add_jurisdiction(self, entry: dict[str, Any]) -> None:
        jname, level = entry["name"], entry["level"]
        prefixes = tuple(entry.get("prefixes", ()))
        places = tuple(entry.get("places", ()))
        self._jurisdictions[jname] = Jurisdiction(jname, level, prefixes)
        local = self._local.setdefault(jname, {})
        for dep in entry["departments"]:
            keys = [dep["name"], *dep.get("aliases", ())]
            for short in dep.get("short", ()):
                keys += [short] + [p + short for p in prefixes]
            names = tuple(dict.fromkeys(normalize_name(k) for k in keys))
            canonical = normalize_name(dep["name"])
            self._departments[(jname, canonical)] = Department(
                canonical, jname, level, names, dep.get("kind", "政府部门")
            )
            for key in names:
                previous = local.get(key)
                local[key] = canonical if previous in (None, canonical) else _AMBIGUOUS
                # Only names that spell out their place (广东银保监局) are unique nationwide;
                # 省人社厅 or 团省委 mean a different body in every province.
                if jname == NATIONAL or any(place in key for place in places):
                    self._qualified.setdefault(key, set()).add((jname, canonical))

    def canonical(self, name: str, jurisdiction: str | None = None) -> str | None:
        """The canonical name of ``name`` as printed in a document of ``jurisdiction``."""
        found = self.lookup(name, jurisdiction)
        return found.name if found else None

    @lru_cache(maxsize=8192)  # noqa: B019 - registries live for the process
    def lookup(self, name: str, jurisdiction: str | None = None) -> Department | None:
        key = normalize_name(name)
        for scope in (jurisdiction, NATIONAL):
            if scope and scope in self._local:
                hit = self._local[scope].get(key)
                if hit:
                    return self._departments[(scope, hit)]
        matches = self._qualified.get(key, set())
        if len(matches) == 1:
            jname, canonical = next(iter(matches))
            return self._departments[(jname, canonical)]
        return None

    def departments(self, jurisdiction: str | None = None) -> list[Department]:
        """All canonical departments (of one jurisdiction), for the ledger's department list."""
        return [d for (j, _), d in self._departments.items() if jurisdiction in (None, j)]

    def jurisdictions(self) -> list[Jurisdiction]:
        return list(self._jurisdictions.values())

    def jurisdiction(self, name: str) -> Jurisdiction | None:
        return self._jurisdictions.get(name)

    def detect_jurisdiction(self, names: Iterable[str]) -> str | None:
        """The jurisdiction most of ``names`` (issuers, departments) belong to."""
        votes: Counter[str] = Counter()
        for name in names:
            found = self.lookup(name)
            if found:
                votes[found.jurisdiction] += 1
        return votes.most_common(1)[0][0] if votes else None

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


@lru_cache(maxsize=1)
def default_registry() -> DepartmentRegistry:
    return DepartmentRegistry.load()
