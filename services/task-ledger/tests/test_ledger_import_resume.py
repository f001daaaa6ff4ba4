"""A background import outlives the process that started it: a job whose process stopped is
taken over once its lease lapses, and a job that failed is finished by confirming again —
each measure created once (issue #22)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from ledger_helpers import SEED_FILE, Api

from task_ledger.service_layer import import_jobs, imports

pytestmark = pytest.mark.integration


async def start_large_import(api: Api) -> tuple[str, dict[str, str], dict[str, Any]]:
    settings = api.ledger.settings
    settings.import_background_measures, settings.import_batch_size = 3, 2
    sup = await api.login("supervisor")
    r = await api.client.post(
        "/api/imports",
        files={"file": (SEED_FILE.name, SEED_FILE.read_bytes(), "text/plain")},
        headers=sup,
    )
    uploaded = r.json()
    r = await api.client.post(f"/api/imports/{uploaded['import_id']}/confirm", headers=sup)
    assert r.status_code == 202, r.text
    return uploaded["import_id"], sup, uploaded


async def state_of(api: Api, import_id: str, sup: dict[str, str]) -> dict[str, Any]:
    r = await api.client.get(f"/api/imports/{import_id}", headers=sup)
    return dict(r.json())


async def until(api: Api, import_id: str, sup: dict[str, str], *statuses: str) -> dict[str, Any]:
    for _ in range(1000):
        state = await state_of(api, import_id, sup)
        if state["status"] in statuses:
            return state
        await asyncio.sleep(0.01)
    raise AssertionError(f"import still {state['status']}")


async def assert_each_task_once(api: Api, uploaded: dict[str, Any]) -> None:
    expected = [m["task_id"] for d in uploaded["documents"] for m in d["measures"] if m["task_id"]]
    registered = [x.key for x in await api.outbox("task.registered")]
    assert sorted(registered) == sorted(expected)


async def test_a_job_whose_process_stopped_is_taken_over_when_its_lease_lapses(api: Api) -> None:
    import_id, sup, uploaded = await start_large_import(api)
    for _ in range(1000):  # the process "dies" after its first batches
        if (await state_of(api, import_id, sup))["progress"]["done"] >= 4:
            break
        await asyncio.sleep(0)
    jobs = list(import_jobs._running)
    for job in jobs:
        job.cancel()
    await asyncio.gather(*jobs, return_exceptions=True)
    await import_jobs.finish_in_flight()  # the batch it was storing commits whole
    state = await state_of(api, import_id, sup)
    assert (
        state["status"] == "confirming" and state["progress"]["done"] < state["progress"]["total"]
    )

    assert await import_jobs.resume_stalled(api.ledger) == []  # the lease still holds
    api.clock.advance(import_jobs.LEASE + timedelta(seconds=1))
    assert await import_jobs.resume_stalled(api.ledger) == [import_id]
    assert await import_jobs.resume_stalled(api.ledger) == []  # taken: nobody else starts it

    state = await until(api, import_id, sup, "confirmed")
    assert state["progress"]["done"] == state["progress"]["total"]
    await assert_each_task_once(api, uploaded)
    # The import list carries the progress too (a poll that does not read the whole preview).
    listed = (await api.client.get("/api/imports", headers=sup)).json()["items"]
    (mine,) = [i for i in listed if i["id"] == import_id]
    assert mine["progress_done"] == mine["progress_total"] == state["progress"]["total"]


async def test_a_job_stopped_with_its_process_is_taken_over_at_once(api: Api) -> None:
    import_id, sup, uploaded = await start_large_import(api)
    for _ in range(1000):
        if (await state_of(api, import_id, sup))["progress"]["done"] >= 2:
            break
        await asyncio.sleep(0)
    # A shutdown (LedgerService.close) stops the job after its batch and releases the lease.
    assert await import_jobs.stop_jobs(api.ledger) == [import_id]
    state = await state_of(api, import_id, sup)
    assert (
        state["status"] == "confirming" and state["progress"]["done"] < state["progress"]["total"]
    )
    assert await import_jobs.resume_stalled(api.ledger) == [import_id]  # no LEASE to wait
    state = await until(api, import_id, sup, "confirmed")
    await assert_each_task_once(api, uploaded)


async def test_a_failed_job_confirmed_again_creates_what_was_missing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = imports.insert_measure
    calls = []

    async def failing_once(run: Any, doc: Any, m: Any) -> None:
        calls.append(1)
        if len(calls) == 5:
            raise ConnectionError("数据库连接中断")
        await real(run, doc, m)

    monkeypatch.setattr(imports, "insert_measure", failing_once)
    import_id, sup, uploaded = await start_large_import(api)
    state = await until(api, import_id, sup, "previewed")
    assert "后台导入中断" in state["job_error"]

    r = await api.client.post(f"/api/imports/{import_id}/confirm", headers=sup)
    assert r.status_code == 202, r.text
    await until(api, import_id, sup, "confirmed")
    await assert_each_task_once(api, uploaded)  # before: the plan existed, the rest was skipped
