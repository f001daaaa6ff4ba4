"""Indicators (量化指标): drafted in the import preview, corrected there or by a supervisor later,
created with their tasks, reported against in progress reports (docs/indicators.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from task_ledger.adapters import repository as repo
from task_ledger.domain import authz
from task_ledger.domain.errors import DomainError, NotAllowed, NotFound
from task_ledger.domain.indicators import (
    Aggregation,
    Kind,
    TargetReading,
    completion,
    fmt,
    read_target,
)
from task_ledger.domain.model import User
from task_ledger.service_layer import milestones
from task_ledger.service_layer.handlers import read_task
from task_ledger.service_layer.uow import Ledger, Transaction

EDITABLE = ("name", "target", "unit", "due", "baseline", "qualifier", "kind", "aggregation")


# --- the import preview ---------------------------------------------------------------------


def _reading_of(target: Mapping[str, Any]) -> TargetReading:
    due = date.fromisoformat(target["due"]) if target.get("due") else None
    return read_target(target["text"], target["value"], target["unit"], due)


def preview_indicators(measure: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A measure's targets as indicator drafts. Targets counting the same thing by earlier dates
    become checkpoints of the latest one (20% by 2023, then 50% by 2025)."""
    groups: dict[tuple[str, str, str], list[TargetReading]] = {}
    for target in measure.get("targets") or ():
        reading = _reading_of(target)
        groups.setdefault((reading.name, reading.unit, reading.kind), []).append(reading)
    drafts: list[dict[str, Any]] = []
    for readings in groups.values():
        readings.sort(key=lambda r: r.due or date.max)
        last = readings[-1]
        drafts.append(
            {
                "key": f"ind-{len(drafts) + 1}",
                "name": last.name,
                "target": last.target,
                "unit": last.unit,
                "due": last.due.isoformat() if last.due else None,
                "baseline": None,
                "qualifier": last.qualifier,
                "kind": last.kind.value,
                "aggregation": last.aggregation.value,
                "source_text": last.source_text,
                "checkpoints": [
                    {"on": r.due.isoformat(), "value": r.target}
                    for r in readings[:-1]
                    if r.due is not None and r.due != last.due
                ],
                "dropped": False,
            }
        )
    return drafts


class Conflicts:
    """The same indicator stated with different values or dates in two places of one plan
    (a 目标任务 section and a measure): both sentences, for a person to choose (`found`).

    Gathered one measure at a time (`add`): an import's preview is stored in batches, never
    whole. Of each indicator's first place only its measure's id and label are kept."""

    def __init__(self) -> None:
        self.found: list[dict[str, Any]] = []
        # (name, unit) → (the measure's place in the order added, its id, its label, the draft)
        self._first: dict[tuple[str, str], tuple[int, str, str, Mapping[str, Any]]] = {}
        self._added = 0

    def add(self, m: Mapping[str, Any]) -> None:
        self._added += 1
        for draft in m.get("indicators") or ():
            if draft.get("dropped"):
                continue
            key = (draft["name"], draft["unit"])
            first = self._first.setdefault(key, (self._added, m["id"], m["label"], draft))
            added, first_id, first_label, other = first
            if added == self._added:
                continue
            if (other["target"], other["due"]) == (draft["target"], draft["due"]):
                continue
            self.found.append(
                {
                    "name": draft["name"],
                    "unit": draft["unit"],
                    "message": (
                        f"指标“{draft['name']}”前后不一致：{first_label}为{_stated(other)}，"
                        f"{m['label']}为{_stated(draft)}，请确认以哪一处为准"
                    ),
                    "places": [
                        _place(first_id, first_label, other),
                        _place(m["id"], m["label"], draft),
                    ],
                    "resolution": None,
                }
            )


def conflicts(measures: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`Conflicts` of a plan's measures."""
    gathered = Conflicts()
    for m in measures:
        gathered.add(m)
    return gathered.found


def _stated(draft: Mapping[str, Any]) -> str:
    new = "新增" if draft["kind"] == Kind.NEW else ""
    return f"{new}{fmt(draft['target'])}{draft['unit']}（{draft['due'] or '未定时限'}）"


def _place(measure_id: str, label: str, draft: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "measure_id": measure_id,
        "measure_label": label,
        "key": draft["key"],
        "target": draft["target"],
        "due": draft["due"],
        "kind": draft["kind"],
        "sentence": draft["source_text"],
    }


def annotate_preview(document: dict[str, Any]) -> None:
    """Add the indicator drafts to each measure and the conflicts to the document."""
    for m in document["measures"]:
        m["indicators"] = preview_indicators(m)
    document["indicator_conflicts"] = conflicts(document["measures"])


@dataclass(frozen=True)
class IndicatorChanges:
    """A person's corrections of an indicator; None leaves a field as it is."""

    name: str | None = None
    target: float | None = None
    unit: str | None = None
    due: date | None = None
    baseline: float | None = None
    qualifier: str | None = None
    kind: Kind | None = None
    aggregation: Aggregation | None = None

    def values(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if v is not None}
        if "due" in out:
            out["due"] = out["due"].isoformat()
        for k in ("kind", "aggregation"):
            if k in out:
                out[k] = out[k].value
        return out


def _may_edit(actor: User) -> None:
    if not authz.is_decider(actor):
        raise NotAllowed("只有督查人员可以修改指标")


async def edit_preview_indicator(
    ledger: Ledger,
    actor: User,
    import_id: str,
    measure_id: str,
    key: str,
    changes: IndicatorChanges,
    drop: bool = False,
) -> dict[str, Any]:
    """Correct (or drop, a false target) one indicator draft of an import not yet confirmed."""
    _may_edit(actor)
    async with ledger.transaction() as tx:
        row = await repo.get_plan_import(tx.conn, import_id)
        if row is None or not authz.can_manage_import(actor, row.created_by):
            raise NotFound("导入记录不存在")  # another supervisor's import is as absent
        if row.status != "previewed":
            raise DomainError("该方案已确认导入，请在任务页修改指标")
        preview = await repo.load_preview(tx.conn, import_id, row.preview)
        draft, doc = _find_draft(preview, measure_id, key)
        before = dict(draft)
        draft.update(changes.values())
        draft["dropped"] = drop
        doc["indicator_conflicts"] = _keep_resolutions(doc)
        await repo.store_preview(tx.conn, import_id, preview)
        tx.audit(actor.id, "plan_import.edit_indicator", "plan_import", import_id, before, draft)
        return draft


def _find_draft(
    preview: dict[str, Any], measure_id: str, key: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    for doc in preview.get("documents", []):
        for m in doc["measures"]:
            if m["id"] != measure_id:
                continue
            if "indicators" not in m:  # previewed before indicators were drafted
                annotate_preview(doc)
            for draft in m["indicators"]:
                if draft["key"] == key:
                    return draft, doc
    raise NotFound("预览中没有这个指标")


def _keep_resolutions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Conflicts recomputed after an edit, keeping the choices already made."""
    chosen = {c["name"]: c["resolution"] for c in doc.get("indicator_conflicts") or ()}
    fresh = conflicts(doc["measures"])
    for c in fresh:
        c["resolution"] = chosen.get(c["name"])
    return fresh


async def resolve_conflict(
    ledger: Ledger, actor: User, import_id: str, name: str, choice: str
) -> dict[str, Any]:
    """A person decides a conflict: ``first``/``second`` copies that place's value, date and kind
    onto the other; ``both`` keeps both as stated (e.g. a total and an increment)."""
    _may_edit(actor)
    if choice not in ("first", "second", "both"):
        raise DomainError("请选择以哪一处为准（first、second 或 both）")
    async with ledger.transaction() as tx:
        row = await repo.get_plan_import(tx.conn, import_id)
        if row is None or not authz.can_manage_import(actor, row.created_by):
            raise NotFound("导入记录不存在")  # another supervisor's import is as absent
        if row.status != "previewed":
            raise DomainError("该方案已确认导入")
        preview = await repo.load_preview(tx.conn, import_id, row.preview)
        for doc in preview.get("documents", []):
            for conflict in doc.get("indicator_conflicts") or ():
                if conflict["name"] != name:
                    continue
                if choice != "both":
                    chosen, other = conflict["places"]
                    if choice == "second":
                        chosen, other = other, chosen
                    draft, _ = _find_draft(preview, other["measure_id"], other["key"])
                    draft.update(target=chosen["target"], due=chosen["due"], kind=chosen["kind"])
                conflict["resolution"] = choice
                await repo.store_preview(tx.conn, import_id, preview)
                tx.audit(
                    actor.id,
                    "plan_import.resolve_indicator_conflict",
                    "plan_import",
                    import_id,
                    None,
                    {"name": name, "choice": choice},
                )
                return conflict
    raise NotFound("没有这个指标冲突")


# --- created with the task ------------------------------------------------------------------


def _id(task_id: str, key: str) -> str:
    return "ind-" + hashlib.sha1(f"{task_id}/{key}".encode()).hexdigest()[:16]


async def create_for_task(
    tx: Transaction, task_id: str, measure: Mapping[str, Any], start: date
) -> int:
    drafts = measure.get("indicators")
    if drafts is None:
        drafts = preview_indicators(measure)
    created = 0
    for position, d in enumerate(drafts):
        if d.get("dropped"):
            continue
        await repo.insert_indicator(
            tx.conn,
            {
                "id": _id(task_id, d["key"]),
                "task_id": task_id,
                "measure_id": measure["id"],
                "position": position,
                "name": d["name"][:200],
                "target": float(d["target"]),
                "unit": d["unit"][:20],
                "due_on": date.fromisoformat(d["due"]) if d.get("due") else None,
                "start_on": start,
                "baseline": d.get("baseline"),
                "qualifier": d.get("qualifier"),
                "kind": d["kind"],
                "aggregation": d["aggregation"],
                "source_text": d.get("source_text") or "",
                "checkpoints": d.get("checkpoints") or [],
                "dropped": False,
                "updated_at": tx.now,
            },
        )
        created += 1
    return created


# --- read and corrected later ---------------------------------------------------------------


async def task_indicators(ledger: Ledger, user: User, task_id: str) -> list[dict[str, Any]]:
    """The indicators of a task (or the ones it reports its share of) with current value,
    完成率, expected value, light and reason."""
    async with ledger.reading() as conn:
        task = await read_task(conn, user, task_id, "indicators")
        owner = await repo.indicator_owner(conn, task)
        tracked = (await repo.tracked_of(conn, [owner])).get(owner, [])
        own_share = {}
        if owner != task.id:
            for tr in tracked:
                mine = [
                    r.value for r in await repo.value_history(conn, tr.id) if r.task_id == task.id
                ]
                own_share[tr.id] = mine[-1] if mine else None
    today = ledger.today()
    out = []
    for tr in tracked:
        verdict = tr.assess(today)
        rate = completion(tr.indicator, tr.current)
        out.append(
            {
                "id": tr.id,
                "task_id": owner,
                "name": tr.indicator.name,
                "target": tr.indicator.target,
                "unit": tr.indicator.unit,
                "due_on": tr.indicator.due,
                "baseline": tr.indicator.baseline,
                "qualifier": tr.indicator.qualifier,
                "kind": tr.indicator.kind,
                "aggregation": tr.indicator.aggregation,
                "source_text": tr.source_text,
                "current": tr.current,
                "own_share": own_share.get(tr.id) if owner != task.id else tr.current,
                "completion": None if rate is None else round(rate * 100, 1),
                "expected": None if verdict.expected is None else round(verdict.expected, 1),
                "light": verdict.light,
                "reason": verdict.reason,
                "summary": f"{tr.indicator.name} "
                f"{'未填报' if tr.current is None else fmt(tr.current)}/{fmt(tr.indicator.target)}",
            }
        )
    return out


async def indicator_history(ledger: Ledger, user: User, indicator_id: str) -> list[dict[str, Any]]:
    async with ledger.reading() as conn:
        row = await repo.get_indicator_row(conn, indicator_id)
        if row is None:
            raise NotFound("指标不存在")
        await read_task(conn, user, row.task_id, "indicator_history")
        return [
            {
                "task_id": v.task_id,
                "report_id": v.report_id,
                "department_id": v.department_id,
                "value": v.value,
                "at": v.at,
            }
            for v in await repo.value_history(conn, indicator_id)
        ]


async def edit_indicator(
    ledger: Ledger, actor: User, indicator_id: str, changes: IndicatorChanges, drop: bool = False
) -> None:
    """A supervisor corrects an indicator of a task (or drops a false one); audited."""
    _may_edit(actor)
    async with ledger.transaction() as tx:
        row = await repo.get_indicator_row(tx.conn, indicator_id)
        if row is None:
            raise NotFound("指标不存在")
        await read_task(tx.conn, actor, row.task_id, "edit_indicator")
        values = changes.values()
        if "due" in values:
            values["due_on"] = date.fromisoformat(values.pop("due"))
        values.update(dropped=drop, updated_at=tx.now)
        before = {k: getattr(row, k) for k in values if k != "updated_at"}
        await repo.update_indicator(tx.conn, indicator_id, values)
        after = {k: v for k, v in values.items() if k != "updated_at"}
        tx.audit(actor.id, "indicator.edit", "indicator", indicator_id, before, after)
        summary = f"{'删除' if drop else '修改'}指标：{row.name}"
        tx.timeline(row.task_id, "indicator", summary, actor.id, indicator_id=indicator_id)


async def task_milestones(ledger: Ledger, user: User, task_id: str) -> list[dict[str, Any]]:
    async with ledger.reading() as conn:
        task = await read_task(conn, user, task_id, "milestones")
        return await milestones.of_task(conn, task)
