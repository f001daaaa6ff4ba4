"""File downloads shared by the API and the pages (each route checks who is asking)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi.responses import FileResponse, Response

from task_ledger.domain.model import User
from task_ledger.service_layer import uploads
from task_ledger.service_layer.reports import ReportFile
from task_ledger.service_layer.uow import Ledger

# OpenAPI of a route answering a file of any type.
ANY_FILE: dict[int | str, dict[str, Any]] = {
    200: {"description": "文件内容", "content": {"application/octet-stream": {}}}
}


async def attachment(ledger: Ledger, user: User, task_id: str, attachment_id: str) -> FileResponse:
    """An attachment of a task `user` may read (another department's: refused like a missing
    task)."""
    found = await uploads.locate_attachment(ledger, user, task_id, attachment_id)
    return FileResponse(found.path, media_type=found.content_type, filename=found.filename)


def report(report: ReportFile, inline: bool = False) -> Response:
    """A monthly report file; `inline`: shown in the browser rather than saved."""
    disposition = "inline" if inline else "attachment"
    return Response(
        report.content,
        media_type=report.media_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(report.filename)}"
        },
    )
