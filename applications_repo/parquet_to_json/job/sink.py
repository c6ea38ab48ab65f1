"""Where a run writes one JSON Lines file: staged while it is written, made visible whole only
by ``commit`` after the run has verified its counts, and gone without a trace on ``abort``.

- In S3, a multipart upload: parts of ``PART_BYTES`` are uploaded as they fill (memory holds
  one part), and the object appears only at CompleteMultipartUpload; an aborted upload
  leaves no object (the buckets' lifecycle also aborts uploads left by a run that died).
- On local disk (``gdp parquet-to-json``), a hidden file beside the target, renamed over it.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, BinaryIO

from shared.glue.storage import S3_SCHEME, split_s3_uri

PART_BYTES = 8 * 1024 * 1024
"""S3 parts are at least 5 MiB (but the last)."""
CONTENT_TYPE = "application/x-ndjson"


class Sink(ABC):
    """One output file being written; counts its lines."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self.lines = 0
        self.bytes = 0

    def write(self, data: bytes) -> None:
        """Append whole lines."""
        if data:
            self.lines += data.count(b"\n")
            self.bytes += len(data)
            self._write(data)

    @abstractmethod
    def _write(self, data: bytes) -> None: ...

    @abstractmethod
    def commit(self) -> None:
        """Make the file visible at ``uri``, replacing what was there."""

    @abstractmethod
    def abort(self) -> None:
        """Drop what was written; ``uri`` is left as it was."""


class S3Sink(Sink):
    """A multipart upload to ``uri``."""

    def __init__(self, s3: Any, uri: str, part_bytes: int = PART_BYTES) -> None:
        super().__init__(uri)
        self.s3 = s3
        self.bucket, self.key = split_s3_uri(uri)
        self.part_bytes = part_bytes
        self.buffer = io.BytesIO()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []

    def _write(self, data: bytes) -> None:
        self.buffer.write(data)
        if self.buffer.tell() >= self.part_bytes:
            self._upload_part()

    def _upload_part(self) -> None:
        if self.upload_id is None:
            self.upload_id = self.s3.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=CONTENT_TYPE
            )["UploadId"]
        number = len(self.parts) + 1
        response = self.s3.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=self.buffer.getvalue(),
        )
        self.parts.append({"PartNumber": number, "ETag": response["ETag"]})
        self.buffer = io.BytesIO()

    def commit(self) -> None:
        if self.upload_id is None:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=self.key,
                Body=self.buffer.getvalue(),
                ContentType=CONTENT_TYPE,
            )
            return
        if self.buffer.tell():
            self._upload_part()
        self.s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )

    def abort(self) -> None:
        self.buffer = io.BytesIO()
        if self.upload_id is not None:
            self.s3.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id
            )
            self.upload_id = None


class LocalSink(Sink):
    """A hidden file beside ``uri``, renamed over it on commit."""

    def __init__(self, uri: str, run_id: str) -> None:
        super().__init__(uri)
        self.target = Path(uri)
        self.staged = self.target.with_name(f".{self.target.name}.{run_id}.partial")
        self.stream: BinaryIO | None = None

    def _open(self) -> BinaryIO:
        if self.stream is None:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.stream = self.staged.open("wb")
        return self.stream

    def _write(self, data: bytes) -> None:
        self._open().write(data)

    def commit(self) -> None:
        self._open().close()
        self.staged.replace(self.target)

    def abort(self) -> None:
        if self.stream is not None:
            self.stream.close()
        self.staged.unlink(missing_ok=True)


def open_sink(uri: str, s3: Any, run_id: str) -> Sink:
    """The sink for ``uri``: S3 for ``s3://`` URIs, a local file otherwise."""
    return S3Sink(s3, uri) if uri.startswith(S3_SCHEME) else LocalSink(uri, run_id)


def remove(uri: str, s3: Any) -> None:
    """Delete what an earlier run left at ``uri`` (a rejects file the new run has none for)."""
    if uri.startswith(S3_SCHEME):
        bucket, key = split_s3_uri(uri)
        s3.delete_object(Bucket=bucket, Key=key)
    else:
        Path(uri).unlink(missing_ok=True)
