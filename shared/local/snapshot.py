"""What a local stage holds, written to disk before the local AWS stops, so that it stays
readable afterwards (``gdp query``, tests, a person with ``ls``)::

    <snapshot>/s3/<bucket>/<key>            the current version of every object
    <snapshot>/dynamodb/<table>.jsonl       every item, one JSON object per line
    <snapshot>/glue/<database>/<table>.json every catalog table, as GetTable returns it
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

_deserializer = TypeDeserializer()


def write_snapshot(session: Any, root: Path, buckets: Iterable[str]) -> Path:
    """Copy the stage's buckets, every DynamoDB table and the Glue catalog under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    s3 = session.client("s3")
    for bucket in buckets:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for listed in page.get("Contents", []):
                key = listed["Key"]
                if key.endswith("/"):
                    continue
                target = _inside(root / "s3" / bucket, key)
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, key, str(target))
    dynamodb = session.client("dynamodb")
    for page in dynamodb.get_paginator("list_tables").paginate():
        for table in page["TableNames"]:
            target = root / "dynamodb" / f"{table}.jsonl"
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", encoding="utf-8") as out:
                for scanned in dynamodb.get_paginator("scan").paginate(TableName=table):
                    for item in scanned["Items"]:
                        plain = {k: _deserializer.deserialize(v) for k, v in item.items()}
                        out.write(json.dumps(plain, default=_plain, sort_keys=True) + "\n")
    glue = session.client("glue")
    for page in glue.get_paginator("get_databases").paginate():
        for database in page["DatabaseList"]:
            name = database["Name"]
            for tables in glue.get_paginator("get_tables").paginate(DatabaseName=name):
                for table in tables["TableList"]:
                    target = root / "glue" / name / f"{table['Name']}.json"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(
                        json.dumps(table, default=_plain, indent=2, sort_keys=True),
                        encoding="utf-8",
                    )
    return root


def _inside(base: Path, key: str) -> Path:
    """``base/key``, refusing keys that would climb out of ``base``."""
    parts = [p for p in PurePosixPath(key).parts if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"object key {key!r} climbs out of its bucket's folder")
    return base.joinpath(*parts)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def latest_snapshot(work_root: Path) -> Path:
    """The newest run folder under ``work_root`` that holds a snapshot.

    Raises:
        FileNotFoundError: when no run has left one.
    """
    runs = sorted(p for p in work_root.glob("*") if (p / "glue").is_dir() or (p / "s3").is_dir())
    if not runs:
        raise FileNotFoundError(f"no snapshot under {work_root}: run `make run` first")
    return runs[-1]


def snapshot_tables(root: Path) -> dict[str, Path]:
    """Each catalog table of a snapshot (``database.table``) and the folder of its data in
    the snapshot's copy of S3 (the table's ``Location``)."""
    tables = {}
    for path in sorted((root / "glue").glob("*/*.json")):
        table = json.loads(path.read_text(encoding="utf-8"))
        location = table.get("StorageDescriptor", {}).get("Location", "")
        if not location.startswith("s3://"):
            continue
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        tables[f"{path.parent.name}.{table['Name']}"] = _inside(root / "s3" / bucket, prefix)
    return tables
