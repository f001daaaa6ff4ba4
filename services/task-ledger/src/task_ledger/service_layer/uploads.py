"""Files people upload: attachments of progress reports (stored content-addressed by
`adapters.files.FileStore`) and plan documents (read whole, bounded). The API and the pages
both store and download attachments through here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from task_ledger.adapters import repository as repo
from task_ledger.adapters.files import CHUNK, FileStore
from task_ledger.domain.errors import DomainError, NotFound
from task_ledger.domain.model import Attachment, User
from task_ledger.service_layer import handlers as h
from task_ledger.service_layer.uow import Ledger
from task_ledger.settings import Settings


class Upload(Protocol):
    """An uploaded file as the web framework hands it over (Starlette's `UploadFile`)."""

    @property
    def filename(self) -> str | None: ...

    @property
    def content_type(self) -> str | None: ...

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True)
class StoredFile:
    path: Path
    filename: str
    content_type: str


async def read_whole(upload: Upload, limit: int, too_large: str) -> bytes:
    """The upload's bytes, refused with `too_large` as soon as they pass `limit`."""
    chunks, size = [], 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise DomainError(too_large)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_plan_file(settings: Settings, upload: Upload) -> bytes:
    limit = settings.max_plan_bytes
    return await read_whole(upload, limit, f"方案文件超过 {limit // 1024 // 1024} MB")


async def store_attachments(settings: Settings, uploads: Sequence[Upload]) -> list[Attachment]:
    """Check and store a progress report's attachments; nothing is stored past a refusal of
    the count, and each file is checked (type, size, not empty) before it is written."""
    s = settings
    if len(uploads) > s.max_attachments_per_report:
        raise DomainError(f"附件最多 {s.max_attachments_per_report} 个")
    files = FileStore(s.upload_dir)
    stored = []
    for upload in uploads:
        name = (upload.filename or "附件")[-255:]
        content_type = files.check_type(name, upload.content_type or "", s.attachment_types)
        too_large = f"附件“{name}”超过 {s.max_attachment_bytes // 1024 // 1024} MB"
        data = await read_whole(upload, s.max_attachment_bytes, too_large)
        if not data:
            raise DomainError(f"附件“{name}”是空文件")
        sha256, size = files.save([data])
        stored.append(Attachment(h.new_id("att"), name, content_type, size, sha256))
    return stored


async def locate_attachment(
    ledger: Ledger, user: User, task_id: str, attachment_id: str
) -> StoredFile:
    """An attachment of a task this user may read (another department's task: AccessDenied)."""
    async with ledger.reading() as conn:
        await h.read_task(conn, user, task_id, "download_attachment")
        row = await repo.get_attachment(conn, task_id, attachment_id)
    if row is None:
        raise NotFound("附件不存在")
    path = FileStore(ledger.settings.upload_dir).path_of(row.sha256)
    return StoredFile(path, row.filename, row.content_type)
