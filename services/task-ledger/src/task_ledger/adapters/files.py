"""Attachment storage: content-addressed files under the upload directory."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path

from task_ledger.domain.errors import DomainError

CHUNK = 64 * 1024


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def check_type(self, filename: str, content_type: str, allowed: tuple[str, ...]) -> str:
        guessed, _ = mimetypes.guess_type(filename)
        declared = (content_type or "").split(";")[0].strip().lower()
        if declared not in allowed or (guessed is not None and guessed not in allowed):
            raise DomainError(f"不支持的附件类型：{filename}")
        return declared

    def save(self, chunks: list[bytes]) -> tuple[str, int]:
        """Store the bytes atomically (temp file, fsync, rename); returns (sha256, size)."""
        digest = hashlib.sha256()
        size = 0
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            target = self.path_of(digest.hexdigest())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest.hexdigest(), size
