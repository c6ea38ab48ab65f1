"""``gdp query SQL``: SQL over what the last local run left, with DuckDB.

Every catalog table of the snapshot is a view named as in Athena (``database.table``, and by
its table name alone), over the Parquet the run wrote, partition columns included.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from shared.config import LOCAL_RUN_ROOT
from shared.errors import PlatformError

WORK_ROOT = LOCAL_RUN_ROOT


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gdp query``."""
    parser = subparsers.add_parser(
        "query", help="SQL (DuckDB) over the tables the last `make run` left in its snapshot"
    )
    parser.add_argument("sql", help='for example "select count(*) from sales"')
    parser.add_argument(
        "--snapshot", type=Path, help="a run folder (default: the newest under .local-run/)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per row")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the SQL; print the rows."""
    import duckdb  # noqa: PLC0415 (loads only for this command)

    from shared.local.snapshot import latest_snapshot, snapshot_tables  # noqa: PLC0415

    try:
        root = args.snapshot or latest_snapshot(WORK_ROOT)
    except FileNotFoundError as missing:
        raise PlatformError(str(missing)) from None
    connection = duckdb.connect()
    for name, folder in snapshot_tables(root).items():
        if not any(folder.rglob("*.parquet")):
            continue
        database, table = name.split(".", 1)
        source = f"read_parquet('{folder.as_posix()}/**/*.parquet', hive_partitioning = true)"
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
        connection.execute(f'CREATE VIEW "{database}"."{table}" AS SELECT * FROM {source}')
        connection.execute(f'CREATE VIEW IF NOT EXISTS "{table}" AS SELECT * FROM {source}')
    try:
        result = connection.execute(args.sql)
    except duckdb.Error as error:
        raise PlatformError(f"query: {str(error).splitlines()[0]}") from None
    names = [column[0] for column in result.description or []]
    rows = result.fetchall()
    if args.json:
        for row in rows:
            print(json.dumps(dict(zip(names, row, strict=True)), default=str, ensure_ascii=False))
        return 0
    print(_table(names, rows))
    return 0


def _table(names: list[str], rows: list[tuple]) -> str:
    cells = [names] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(names))]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
