"""A manifest: the files of one batch, exactly as the builder saw them (key, version, ETag,
size). Written once, create-only, to ``manifests/{date}/{manifest id}.json`` of the manifest
bucket; the batch job reads it. Standard library only: the functions and the job ship it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

MANIFEST_PREFIX = "manifests/"
MANIFEST_SUFFIX = ".json"


@dataclass(frozen=True)
class ManifestFile:
    """One input file of a batch: where it is, which version, what it was."""

    bucket: str
    key: str
    version_id: str | None
    etag: str
    size: int
    date_prefix: str
    file_name: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Manifest:
    """One batch."""

    manifest_id: str
    date_prefix: str
    created_at: str
    files: tuple[ManifestFile, ...]

    @property
    def key(self) -> str:
        return manifest_key(self.date_prefix, self.manifest_id)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def to_json(self) -> bytes:
        document = {
            "manifest_id": self.manifest_id,
            "date_prefix": self.date_prefix,
            "created_at": self.created_at,
            "file_count": len(self.files),
            "total_bytes": self.total_bytes,
            "files": [asdict(f) for f in self.files],
        }
        return json.dumps(document, indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> Manifest:
        document: Mapping[str, Any] = json.loads(data)
        return cls(
            manifest_id=document["manifest_id"],
            date_prefix=document["date_prefix"],
            created_at=document["created_at"],
            files=tuple(ManifestFile(**f) for f in document["files"]),
        )


def new_manifest_id(now: float) -> str:
    """A sortable, unique id: ``m-20251223T101500-1a2b3c4d``."""
    stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%S")
    return f"m-{stamp}-{uuid.uuid4().hex[:8]}"


def manifest_key(date_prefix: str, manifest_id: str) -> str:
    return f"{MANIFEST_PREFIX}{date_prefix}/{manifest_id}{MANIFEST_SUFFIX}"


def files_of(items: Sequence[Mapping[str, Any]]) -> tuple[ManifestFile, ...]:
    """The manifest entries of tracked files (items of the tracking table)."""
    return tuple(
        ManifestFile(
            bucket=item["bucket"],
            key=item["key"],
            version_id=item.get("version_id"),
            etag=item["etag"],
            size=int(item["size"]),
            date_prefix=item["date_prefix"],
            file_name=item["file_name"],
        )
        for item in items
    )
