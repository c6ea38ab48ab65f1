"""Where a job's bytes live: S3 (read by Spark directly, as under AWS Glue), S3 staged through
local disk (local Spark cannot speak s3a), or plain local files (``gdp process``).

Jobs address everything by URI (``s3://bucket/key`` or a local path) and ask the storage for
the path Spark should read or write; everything else (samples, commits, manifests) goes
through the storage's own methods.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

S3_SCHEME = "s3://"
SPARK_SIDE_FILES = ("_SUCCESS", ".crc")


def storage_calls(bucket: str, *, write: bool) -> tuple[tuple[str, str], ...]:
    """The AWS calls ``S3Storage`` makes on ``bucket`` (an ARN-template name, see
    ``shared.deployability.runtime_calls``): reads (head, get, list) and, with ``write``,
    puts, copies and deletes."""
    arn = f"arn:{{partition}}:s3:::{bucket}"
    reads = (("s3:GetObject", f"{arn}/*"), ("s3:ListBucket", arn))
    writes = (("s3:PutObject", f"{arn}/*"), ("s3:DeleteObject", f"{arn}/*"))
    return reads + writes if write else reads


@dataclass(frozen=True)
class ObjectStat:
    """What a job needs to know about its input object."""

    size: int
    modified: datetime
    version: str | None


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> ``("bucket", "a/b")``."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"not an S3 URI: {uri!r}")
    return parsed.netloc, parsed.path.lstrip("/")


def join_uri(base: str, *parts: str) -> str:
    """Join URI or path segments with single slashes."""
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts if p)])


def is_spark_side_file(name: str) -> bool:
    """Markers and checksums Spark writes next to its output files."""
    base = name.rsplit("/", 1)[-1]
    return base.startswith(("_", ".")) or base.endswith(SPARK_SIDE_FILES)


class Storage(ABC):
    """The operations a Glue job needs on its inputs and outputs."""

    @abstractmethod
    def stat(self, uri: str, version: str | None = None) -> ObjectStat:
        """Size, modification time and version of one object (``FileNotFoundError`` if absent)."""

    @abstractmethod
    def open(self, uri: str, version: str | None = None, start: int = 0) -> BinaryIO:
        """A binary stream of one object from byte ``start``."""

    @abstractmethod
    def spark_input(self, uri: str, version: str | None = None) -> str:
        """The path Spark reads for this object (version)."""

    @abstractmethod
    def spark_output(self, uri: str) -> str:
        """The path Spark writes to for what belongs at ``uri``."""

    @abstractmethod
    def after_spark_write(self, uri: str) -> None:
        """Make what Spark wrote for ``uri`` visible there."""

    @abstractmethod
    def list(self, prefix: str) -> list[str]:
        """URIs of the objects under ``prefix``."""

    @abstractmethod
    def move(self, source: str, target: str) -> None:
        """Move one object."""

    @abstractmethod
    def delete(self, uri: str) -> None:
        """Delete one object (no error if absent)."""

    @abstractmethod
    def put(self, uri: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Write one object."""

    @abstractmethod
    def move_in(self, path: Path, uri: str) -> None:
        """Make a local file the object at ``uri`` (streamed, for large files); the file is
        gone afterwards."""

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object under ``prefix``."""
        for uri in self.list(prefix):
            self.delete(uri)


class LocalStorage(Storage):
    """Plain local files: URIs are paths."""

    def stat(self, uri: str, version: str | None = None) -> ObjectStat:
        info = Path(uri).stat()
        return ObjectStat(info.st_size, datetime.fromtimestamp(info.st_mtime, UTC), None)

    def open(self, uri: str, version: str | None = None, start: int = 0) -> BinaryIO:
        stream = Path(uri).open("rb")  # noqa: SIM115 (the caller closes it)
        stream.seek(start)
        return stream

    def spark_input(self, uri: str, version: str | None = None) -> str:
        return str(Path(uri).resolve())

    def spark_output(self, uri: str) -> str:
        return str(Path(uri).resolve())

    def after_spark_write(self, uri: str) -> None:
        return None

    def list(self, prefix: str) -> list[str]:
        """As S3 lists a key prefix: the files whose path starts with it."""
        root = Path(prefix)
        if prefix.endswith("/"):
            starting = [root] if root.is_dir() else []
        elif root.parent.is_dir():
            starting = [p for p in root.parent.iterdir() if p.name.startswith(root.name)]
        else:
            starting = []
        return sorted(
            str(f) for p in starting for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()
        )

    def move(self, source: str, target: str) -> None:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)

    def delete(self, uri: str) -> None:
        Path(uri).unlink(missing_ok=True)

    def put(self, uri: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = Path(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def move_in(self, path: Path, uri: str) -> None:
        """Renamed, where both are on one file system: a copy would write it twice."""
        self.move(str(path), uri)

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(prefix, ignore_errors=True)
        parent = Path(prefix).parent
        if parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()


class S3Storage(Storage):
    """Objects in S3 through boto3; Spark reads and writes ``s3://`` paths itself (AWS Glue)."""

    def __init__(self, s3_client) -> None:
        self.s3 = s3_client

    def stat(self, uri: str, version: str | None = None) -> ObjectStat:
        bucket, key = split_s3_uri(uri)
        extra = {"VersionId": version} if version else {}
        try:
            head = self.s3.head_object(Bucket=bucket, Key=key, **extra)
        except self.s3.exceptions.ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NoSuchVersion"):
                raise FileNotFoundError(uri) from None
            raise
        return ObjectStat(head["ContentLength"], head["LastModified"], head.get("VersionId"))

    def open(self, uri: str, version: str | None = None, start: int = 0) -> BinaryIO:
        bucket, key = split_s3_uri(uri)
        extra: dict[str, str] = {"VersionId": version} if version else {}
        if start:
            extra["Range"] = f"bytes={start}-"
        return self.s3.get_object(Bucket=bucket, Key=key, **extra)["Body"]

    def spark_input(self, uri: str, version: str | None = None) -> str:
        return uri

    def spark_output(self, uri: str) -> str:
        return uri

    def after_spark_write(self, uri: str) -> None:
        return None

    def list(self, prefix: str) -> list[str]:
        bucket, key = split_s3_uri(prefix)
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
        return [
            f"{S3_SCHEME}{bucket}/{item['Key']}"
            for page in pages
            for item in page.get("Contents", [])
        ]

    def move(self, source: str, target: str) -> None:
        source_bucket, source_key = split_s3_uri(source)
        target_bucket, target_key = split_s3_uri(target)
        self.s3.copy({"Bucket": source_bucket, "Key": source_key}, target_bucket, target_key)
        self.s3.delete_object(Bucket=source_bucket, Key=source_key)

    def delete(self, uri: str) -> None:
        bucket, key = split_s3_uri(uri)
        self.s3.delete_object(Bucket=bucket, Key=key)

    def put(self, uri: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        bucket, key = split_s3_uri(uri)
        self.s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)

    def move_in(self, path: Path, uri: str) -> None:
        bucket, key = split_s3_uri(uri)
        self.s3.upload_file(str(path), bucket, key)
        path.unlink()


def running_in_glue() -> bool:
    """True inside an AWS Glue job run (its ``awsglue`` library is importable)."""
    try:
        import awsglue  # noqa: F401, PLC0415
    except ImportError:
        return False
    return True


def job_storage(s3_client, workdir: Path) -> Storage:
    """The storage of a job run: S3 directly under AWS Glue, S3 staged through ``workdir``
    under local Spark."""
    return S3Storage(s3_client) if running_in_glue() else StagedS3Storage(s3_client, workdir)


class StagedS3Storage(S3Storage):
    """S3 through boto3, with Spark's reads and writes staged on local disk.

    For local Spark, which has no S3 connector here: an input object (version) is downloaded
    before Spark reads it, and what Spark writes is uploaded afterwards.
    """

    def __init__(self, s3_client, workdir: Path) -> None:
        super().__init__(s3_client)
        self.workdir = Path(workdir)

    def _local(self, uri: str, version: str | None = None) -> Path:
        bucket, key = split_s3_uri(uri)
        suffix = f".v-{version}" if version else ""
        return self.workdir / bucket / f"{key}{suffix}"

    def spark_input(self, uri: str, version: str | None = None) -> str:
        local = self._local(uri, version)
        if not local.exists():
            local.parent.mkdir(parents=True, exist_ok=True)
            with self.open(uri, version) as body, local.open("wb") as out:
                shutil.copyfileobj(body, out, length=8 * 1024 * 1024)
        return str(local)

    def spark_output(self, uri: str) -> str:
        return str(self._local(uri))

    def after_spark_write(self, uri: str) -> None:
        local = self._local(uri)
        bucket, key = split_s3_uri(uri)
        for path in sorted(local.rglob("*")):
            if path.is_file() and not is_spark_side_file(path.name):
                relative = path.relative_to(local).as_posix()
                self.s3.upload_file(str(path), bucket, f"{key.rstrip('/')}/{relative}")
        shutil.rmtree(local, ignore_errors=True)
