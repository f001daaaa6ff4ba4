"""Issue #22, bounded inputs: hostile or huge input answers with a Chinese 4xx, never a 500."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from ledger_helpers import SEED_FILE, Api

pytestmark = pytest.mark.integration


def user_body(username: str, **extra: str) -> dict[str, str]:
    return {
        "username": username,
        "display_name": "测试用户",
        "role": "supervisor",
        "password": "long-enough-1",
        **extra,
    }


async def test_creating_users_never_answers_500(api: Api) -> None:
    """`POST /api/users` gave 500 on a username with `@` and on two long usernames sharing
    59 characters (their ids were cut to 64 characters and collided)."""
    admin = await api.login("admin")
    r = await api.client.post("/api/users", json=user_body("zhang@example.org"), headers=admin)
    assert r.status_code == 422, r.text
    assert "用户名" in r.json()["detail"]

    stem = "a" * 59
    ids = []
    for username in (stem + "-one", stem + "-two"):
        r = await api.client.post("/api/users", json=user_body(username), headers=admin)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    assert len(set(ids)) == 2 and all(len(i) <= 64 for i in ids)
    r = await api.client.post("/api/users", json=user_body(stem + "-one"), headers=admin)
    assert r.status_code in (409, 422) and "用户名已存在" in r.json()["detail"], r.text
    r = await api.client.post("/api/users", json=user_body("b" * 101), headers=admin)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    "email",
    ["li\r\nBcc: all@example.org@example.org", "li\x00@example.org", "李雷@例子.中国", "a@b"],
)
async def test_undeliverable_email_addresses_are_refused_at_input(api: Api, email: str) -> None:
    """Addresses with control or non-ASCII characters were accepted, then failed six times each
    and flooded task timelines with "delivery failed"."""
    admin = await api.login("admin")
    r = await api.client.post("/api/users", json=user_body("mail-test", email=email), headers=admin)
    assert r.status_code == 422, r.text
    assert "电子邮件地址" in r.json()["detail"]
    r = await api.client.patch("/api/users/user-supervisor", json={"email": email}, headers=admin)
    assert r.status_code == 422 and "电子邮件地址" in r.json()["detail"], r.text


async def test_a_good_email_address_is_kept_normalised(api: Api) -> None:
    admin = await api.login("admin")
    body = user_body("mail-ok", email="Li.Lei@Example.ORG")
    r = await api.client.post("/api/users", json=body, headers=admin)
    assert r.status_code == 201 and r.json()["email"] == "Li.Lei@example.org", r.text


def corrupt_docx(document: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", document)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [corrupt_docx(b"<w:document><unclosed"), corrupt_docx(b"<a>" * 2000), b"PK\x03\x04broken"],
)
async def test_every_parser_failure_is_a_422_in_chinese(api: Api, data: bytes) -> None:
    """Corrupt .docx files escaped the parser as AttributeError, zlib.error, … (500)."""
    sup = await api.login("supervisor")
    r = await api.client.post(
        "/api/imports",
        files={"file": ("broken.docx", data, "application/octet-stream")},
        headers=sup,
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("无法解析方案文件")


async def test_task_detail_timeline_and_reports_come_in_pages_newest_first(api: Api) -> None:
    """A task with 5,000 progress reports returned 1.7 MB from `GET /api/tasks/{id}`: nothing
    was paginated. Now the detail carries the newest page and the counts; the rest is paged."""
    api.ledger.settings.write_limits = {}  # many reports at once: not what this test is about
    await api.import_seed()
    sup = await api.login("supervisor")
    task = (await api.client.get("/api/tasks", params={"page_size": 1}, headers=sup)).json()[
        "items"
    ][0]
    tid = task["id"]
    lead = await api.liaison_of(task["lead_department_ids"][0])
    await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)
    await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=lead)
    count = api.ledger.settings.detail_page_size + 5
    for percent in range(1, count + 1):
        r = await api.client.post(
            f"/api/tasks/{tid}/progress-reports",
            data={"percent": str(percent), "done_work": "工作" * 200},
            headers=lead,
        )
        assert r.status_code == 201, r.text

    size = api.ledger.settings.detail_page_size
    detail = (await api.client.get(f"/api/tasks/{tid}", headers=sup)).json()
    assert detail["progress_reports_total"] == count
    assert [r["percent"] for r in detail["progress_reports"]] == list(
        range(count, count - size, -1)
    )
    assert len(detail["timeline"]) == size and detail["timeline_total"] > count
    assert detail["timeline"][0]["id"] > detail["timeline"][-1]["id"]  # newest first

    r = await api.client.get(
        f"/api/tasks/{tid}/progress-reports", params={"page": 2, "page_size": size}, headers=sup
    )
    assert [x["percent"] for x in r.json()] == list(range(count - size, 0, -1))
    assert r.headers["X-Total-Count"] == str(count) and "Link" not in r.headers
    r = await api.client.get(f"/api/tasks/{tid}/timeline", params={"page_size": 10}, headers=sup)
    assert len(r.json()) == 10 and 'rel="next"' in r.headers["Link"]
    assert "page=2" in r.headers["Link"]
    r = await api.client.get(f"/api/tasks/{tid}/timeline", params={"page_size": 201}, headers=sup)
    assert r.status_code == 422


async def test_an_import_preview_comes_in_pages(api: Api) -> None:
    """The preview of a 100,000-measure plan was one 47 MB answer: now each document carries
    its first page of measures and their count, the rest come from a paged endpoint."""
    api.ledger.settings.preview_page_size = 2
    sup = await api.login("supervisor")
    data = SEED_FILE.read_bytes()
    r = await api.client.post(
        "/api/imports", files={"file": (SEED_FILE.name, data, "text/plain")}, headers=sup
    )
    assert r.status_code == 201, r.text
    uploaded = r.json()
    doc = uploaded["documents"][0]
    assert doc["measure_count"] > 3 and len(doc["measures"]) == 2
    import_id = uploaded["import_id"]
    again = (await api.client.get(f"/api/imports/{import_id}", headers=sup)).json()
    assert again["documents"][0]["measures"] == doc["measures"]

    url = f"/api/imports/{import_id}/documents/0/measures"
    pages, page = [], 1
    while True:
        r = await api.client.get(url, params={"page": page, "page_size": 3}, headers=sup)
        assert r.status_code == 200 and r.headers["X-Total-Count"] == str(doc["measure_count"])
        pages += r.json()
        if "Link" not in r.headers:
            break
        page += 1
    assert len(pages) == doc["measure_count"] and pages[:2] == doc["measures"]
    assert [m["position"] for m in pages] == list(range(doc["measure_count"]))
    r = await api.client.get(f"/api/imports/{import_id}/documents/9/measures", headers=sup)
    assert r.status_code == 404 and r.json()["detail"] == "导入记录中没有该文件"
    r = await api.client.post(f"/api/imports/{import_id}/confirm", headers=sup)
    assert r.status_code == 200 and r.json()["measures"] == sum(
        d["measure_count"] for d in uploaded["documents"]
    )


async def test_writes_are_rate_limited_per_user_across_processes(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing limited report rates: a user may now write a kind of thing only so often per
    window (429 with Retry-After, in Chinese); the count lives in the database, so a second
    ledger process on the same database shares it."""
    from task_ledger.adapters import repository as repo
    from task_ledger.domain.errors import RateLimited
    from task_ledger.service_layer import rate_limits
    from task_ledger.service_layer.directory import liaison_user_id
    from task_ledger.service_layer.uow import Ledger

    settings = api.ledger.settings
    settings.write_limits = {"progress_report": 3, "user_create": 1}
    settings.write_limit_window_seconds = 60
    await api.import_seed()
    sup, admin = await api.login("supervisor"), await api.login("admin")
    task = (await api.client.get("/api/tasks", params={"page_size": 1}, headers=sup)).json()[
        "items"
    ][0]
    tid = task["id"]
    lead = await api.liaison_of(task["lead_department_ids"][0])
    await api.client.post(f"/api/tasks/{tid}/dispatch", headers=sup)
    await api.client.post(f"/api/tasks/{tid}/acknowledge", headers=lead)
    now = [1_800_000_000.0]  # the start of a 60-second window
    monkeypatch.setattr(rate_limits, "wall_clock", lambda: now[0])

    async def report() -> Any:
        return await api.client.post(
            f"/api/tasks/{tid}/progress-reports", data={"percent": "10"}, headers=lead
        )

    assert [(await report()).status_code for _ in range(3)] == [201, 201, 201]
    refused = await report()
    assert refused.status_code == 429, refused.text
    assert refused.headers["Retry-After"] == "60"
    assert "操作过于频繁" in refused.json()["detail"] and "进展填报" in refused.json()["detail"]
    # Another process on the same database counts against the same limit.
    other = Ledger(settings, api.clock)
    try:
        async with api.ledger.reading() as conn:
            lead_user = await repo.get_user(conn, liaison_user_id(task["lead_department_ids"][0]))
        assert lead_user is not None
        with pytest.raises(RateLimited):
            await rate_limits.count(other, lead_user, "progress_report")
        now[0] += 45
        assert (await report()).headers["Retry-After"] == "15"
        now[0] += 15  # the next window
        await rate_limits.count(other, lead_user, "progress_report")
    finally:
        await other.dispose()
    assert (await report()).status_code == 201
    # Another user has a count of their own; other kinds of writes have their own limits.
    r = await api.client.post("/api/users", json=user_body("first-of-window"), headers=admin)
    assert r.status_code == 201, r.text
    r = await api.client.post("/api/users", json=user_body("second-of-window"), headers=admin)
    assert r.status_code == 429 and "新增用户" in r.json()["detail"], r.text


async def test_a_large_import_is_confirmed_in_the_background_with_progress(api: Api) -> None:
    """Confirming a 100,000-measure import was one 144 s request: a large import now answers
    202 at once and is created batch by batch, its progress on GET /api/imports/{id}."""
    import asyncio

    settings = api.ledger.settings
    settings.import_background_measures, settings.import_batch_size = 3, 4
    sup = await api.login("supervisor")
    r = await api.client.post(
        "/api/imports",
        files={"file": (SEED_FILE.name, SEED_FILE.read_bytes(), "text/plain")},
        headers=sup,
    )
    uploaded = r.json()
    import_id, total = uploaded["import_id"], sum(d["measure_count"] for d in uploaded["documents"])
    r = await api.client.post(f"/api/imports/{import_id}/confirm", headers=sup)
    assert r.status_code == 202, r.text
    assert r.json() == {"import_id": import_id, "status": "confirming", "done": 0, "total": total}
    again = await api.client.post(f"/api/imports/{import_id}/confirm", headers=sup)
    assert again.status_code == 422 and "正在后台导入" in again.json()["detail"]

    seen = set()
    for _ in range(500):
        state = (await api.client.get(f"/api/imports/{import_id}", headers=sup)).json()
        seen.add(state["progress"]["done"])
        if state["status"] == "confirmed":
            break
        await asyncio.sleep(0.01)
    assert state["status"] == "confirmed" and state["progress"] == {"done": total, "total": total}
    assert max(seen) == total and min(seen) >= 0
    tasks = (await api.client.get("/api/tasks", params={"page_size": 200}, headers=sup)).json()
    expected = sum(d["task_count"] for d in uploaded["documents"])
    assert len(
        {x["id"] for x in tasks["items"]}
        & {m["task_id"] for d in uploaded["documents"] for m in d["measures"] if m["task_id"]}
    ) == len([m for d in uploaded["documents"] for m in d["measures"] if m["task_id"]])
    assert len(await api.outbox("task.registered")) >= expected
    # Confirming the same document again creates nothing (ids derive from the document).
    r = await api.client.post(
        "/api/imports",
        files={"file": (SEED_FILE.name, SEED_FILE.read_bytes(), "text/plain")},
        headers=sup,
    )
    second = r.json()["import_id"]
    r = await api.client.post(f"/api/imports/{second}/confirm", headers=sup)
    assert r.status_code == 202
    for _ in range(500):
        state = (await api.client.get(f"/api/imports/{second}", headers=sup)).json()
        if state["status"] == "confirmed":
            break
        await asyncio.sleep(0.01)
    assert state["status"] == "confirmed"
    registered = await api.outbox("task.registered")
    assert len(registered) == expected
