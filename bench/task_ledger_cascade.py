"""The plan cascade inside the ledger (`python -m bench cascade` runs it with bench.cascade).

ledger.cascade.preview_50x50_ms  importing (previewing) a 50-measure subordinate plan whose
                                 cited superior (50 measures) is stored: parse, propose the
                                 plan link and the measure links, store the preview; best of 5
ledger.cascade.relink_50x50_ms   relinking a stored 50-measure plan to a 50-measure superior
                                 (PUT /api/plans/{id}/superior: load both plans, propose, store
                                 the links and their events); best of 5
ledger.cascade.3x50_ms           a superior and two subordinates of 50 measures each: both
                                 relinked, one after the other; best of 5
The plans are the library bench's generated ones (libs/cascade/bench_cascade.py), written as
plan documents; the ledger runs in-process on SQLite (httpx on the ASGI app, no network).
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path
from typing import Any

import httpx

from duban_common.clock import SystemClock

SCRIPT = Path(__file__).resolve().parents[1] / "libs" / "cascade" / "bench_cascade.py"
RUNS = 5
LEADS = ("省人力资源社会保障厅", "省教育厅", "省农业农村厅", "省商务厅")


def _library_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_cascade", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _document(plan: Any, number: str, cites: tuple[str, str] | None) -> bytes:
    """A plan as the importer reads it: 文号, title, the citation, numbered measures with
    their lead departments."""
    lines = [number, f"关于印发《{plan.title}》的通知", ""]
    if cites is not None:
        lines.append(f"根据《{cites[0]}》（{cites[1]}），结合实际，制定本方案。")
    lines += ["", plan.title, "", "一、重点任务"]
    for n, m in enumerate(plan.measures, 1):
        lead = LEADS[n % len(LEADS)]
        lines.append(f"（{n}）{m.title}。{m.text}（责任单位：{lead}）")
    return "\n".join(lines).encode()


def documents() -> list[tuple[str, bytes]]:
    """(file name, text) of the superior and the two subordinates, 50 measures each."""
    superior, *subordinates = _library_bench().generated_plans()
    superior_title, superior_number = "某某行动方案", "人社部发〔2023〕1号"
    docs = [("superior.txt", _document(superior, superior_number, None))]
    for n, plan in enumerate(subordinates, 1):
        number = f"粤人社发〔2023〕{n}号"
        docs.append((f"sub{n}.txt", _document(plan, number, (superior_title, superior_number))))
    return docs


async def _measure(workdir: Path) -> dict[str, Any]:
    from task_ledger.entrypoints.http import create_app
    from task_ledger.service_layer.uow import Ledger
    from task_ledger.settings import Settings

    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{workdir / 'cascade-ledger.db'}",
        upload_dir=str(workdir / "cascade-uploads"),
        argon2_time_cost=1,
        argon2_memory_cost=1024,
        environment="test",
        password_policy=False,
    )
    ledger = Ledger(settings, SystemClock())
    app = create_app(settings, ledger=ledger, background=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            return await _timed(client, documents())


async def _timed(client: httpx.AsyncClient, docs: list[tuple[str, bytes]]) -> dict[str, Any]:
    r = await client.post(
        "/api/auth/login", json={"username": "supervisor", "password": "supervisor-demo"}
    )
    r.raise_for_status()
    sup = {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def upload(name: str, data: bytes) -> dict[str, Any]:
        r = await client.post(
            "/api/imports", files={"file": (name, data, "text/plain")}, headers=sup
        )
        r.raise_for_status()
        return dict(r.json())

    async def imported(name: str, data: bytes) -> str:
        preview = await upload(name, data)
        r = await client.post(f"/api/imports/{preview['import_id']}/confirm", headers=sup)
        r.raise_for_status()
        return str(preview["documents"][0]["plan_id"])

    superior = await imported(*docs[0])
    subordinates = [await imported(*doc) for doc in docs[1:]]

    async def relink(plan_id: str) -> int:
        r = await client.put(
            f"/api/plans/{plan_id}/superior", json={"superior_plan_id": superior}, headers=sup
        )
        r.raise_for_status()
        return len(r.json()["measure_links"])

    preview_best = relink_best = both_best = float("inf")
    proposed = 0
    for _ in range(RUNS):
        start = time.perf_counter()
        preview = await upload(*docs[1])
        preview_best = min(preview_best, time.perf_counter() - start)
        assert preview["documents"][0]["superior"]["plan_id"] == superior
        start = time.perf_counter()
        proposed = await relink(subordinates[0])
        relink_best = min(relink_best, time.perf_counter() - start)
        start = time.perf_counter()
        for plan_id in subordinates:
            await relink(plan_id)
        both_best = min(both_best, time.perf_counter() - start)
    assert proposed > 0
    return {
        "ledger.cascade.preview_50x50_ms": _entry(preview_best * 1000, "ms"),
        "ledger.cascade.relink_50x50_ms": _entry(relink_best * 1000, "ms"),
        "ledger.cascade.3x50_ms": _entry(both_best * 1000, "ms"),
        "ledger.cascade.links_proposed": _entry(proposed, "links"),
    }


def _entry(value: float, unit: str) -> dict[str, Any]:
    return {"value": round(value, 3), "unit": unit, "baseline": None, "ratio": None}


def run(ctx: Any) -> dict[str, Any]:
    return asyncio.run(_measure(Path(ctx.workdir)))


if __name__ == "__main__":
    import tempfile
    from types import SimpleNamespace

    with tempfile.TemporaryDirectory() as tmp:
        for key, value in run(SimpleNamespace(workdir=tmp)).items():
            print(f"{key:34} {value['value']:>10} {value['unit']}")
