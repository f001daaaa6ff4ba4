"""Issue #22, bounded inputs: hostile or huge input answers with a Chinese 4xx, never a 500."""

from __future__ import annotations

import io
import zipfile

import pytest
from ledger_helpers import Api

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
