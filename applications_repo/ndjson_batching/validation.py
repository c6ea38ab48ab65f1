"""What makes an uploaded file acceptable: its size within the configured range, and its
first lines JSON objects (newline-delimited JSON). Standard library only: the builder and the
state manager ship it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HEAD_BYTES = 64 * 1024
"""How much of a file the builder reads to check its first lines."""
SHOWN_CHARS = 60
UTF8_BOM = b"\xef\xbb\xbf"
JSON_TYPES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}


def size_problem(size: int, min_bytes: int, max_bytes: int) -> str | None:
    if size < min_bytes:
        return f"{size} bytes is below the {min_bytes}-byte minimum"
    if size > max_bytes:
        return f"{size} bytes is above the {max_bytes}-byte maximum"
    return None


def content_problem(head: bytes, *, complete: bool, lines: int) -> str | None:
    """Why the first ``lines`` lines of ``head`` (the whole file when ``complete``) are not
    JSON objects, naming the line; ``None`` when they are. A UTF-8 byte order mark is not
    part of the first line; a first line longer than ``head`` must at least open an object."""
    head = head.removeprefix(UTF8_BOM)
    chunks = head.split(b"\n")
    if not complete:
        chunks = chunks[:-1]  # the last one may be cut short
        if not chunks:
            return _opens_no_object(head)
    checked = [(n, chunk) for n, chunk in enumerate(chunks, start=1) if chunk.strip()][:lines]
    if not checked:
        return "no JSON lines: the file is blank"
    return next(filter(None, (_line_problem(n, chunk) for n, chunk in checked)), None)


def _line_problem(number: int, chunk: bytes) -> str | None:
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"line {number}: not UTF-8 text (byte {error.start})"
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return f"line {number}: not JSON ({error.msg} at column {error.colno}): {_shown(text)}"
    if not isinstance(value, dict):
        kind = JSON_TYPES.get(type(value), "null")
        return f"line {number}: {kind}, not a JSON object: {_shown(text)}"
    return None


def _opens_no_object(head: bytes) -> str | None:
    """A first line longer than what was read: it must at least begin an object."""
    if head.lstrip().startswith(b"{"):
        return None
    start = head[:SHOWN_CHARS].decode("utf-8", "replace")
    return f"line 1: not a JSON object (it does not start with '{{'): {_shown(start)}"


def _shown(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}...")


@dataclass(frozen=True)
class FileRules:
    """What a file must be: its size range, and how many first lines are checked."""

    min_bytes: int
    max_bytes: int
    lines: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> FileRules:
        return cls(
            int(environ["MIN_FILE_BYTES"]),
            int(environ["MAX_FILE_BYTES"]),
            int(environ["VALIDATED_LINES"]),
        )


@dataclass(frozen=True)
class Inspected:
    """An object version as the builder sees it: its size, ETag and version, and why it is
    not acceptable (``None`` when it is)."""

    size: int
    etag: str
    version_id: str | None
    problem: str | None


def inspect(s3: Any, bucket: str, key: str, version_id: str | None, rules: FileRules) -> Inspected:
    """Read the first ``HEAD_BYTES`` of the object version and check it (S3's errors, such
    as a version that is gone, are raised)."""
    extra = {"VersionId": version_id} if version_id else {}
    head = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{HEAD_BYTES - 1}", **extra)
    content_range = head.get("ContentRange")  # "bytes 0-65535/1234567"
    size = int(content_range.rsplit("/", 1)[1]) if content_range else int(head["ContentLength"])
    data = head["Body"].read()
    problem = size_problem(size, rules.min_bytes, rules.max_bytes) or content_problem(
        data, complete=len(data) >= size, lines=rules.lines
    )
    return Inspected(size, head["ETag"].strip('"'), head.get("VersionId") or version_id, problem)
