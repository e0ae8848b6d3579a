"""A stand-in for plumbing.storage's file:// bucket, used only while plumbing.storage is missing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


@dataclass
class Obj:
    name: str
    size: int
    updated: datetime


class FileBucket:
    def __init__(self, url: str):
        self.root = Path(url[len("file://"):])

    def list(self, prefix: str = ""):
        if not self.root.exists():
            return []
        out = []
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                name = path.relative_to(self.root).as_posix()
                if name.startswith(prefix):
                    st = path.stat()
                    out.append(Obj(name, st.st_size, datetime.fromtimestamp(st.st_mtime, timezone.utc)))
        return out

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def exists(self, name: str) -> bool:
        return (self.root / name).is_file()

    def write(self, name: str, data: bytes, content_type: str = "", if_absent: bool = True):
        path = self.root / name
        if if_absent and path.exists():
            raise FileExistsError(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def delete(self, name: str):
        os.unlink(self.root / name)


def open_bucket(url: str) -> FileBucket:
    return FileBucket(url)
