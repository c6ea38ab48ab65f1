"""``gdp run FILE``, as ``make run FILE=...`` calls it, on a CSV the project has never seen
(on the tests' synthesized templates: tests/local holds ``make run``'s own synthesis to the
pipeline's templates)."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from shared.config import REPOSITORY_ROOT, StageName, load_config
from shared.naming import StageNaming

pytestmark = pytest.mark.integration


def test_gdp_run_processes_a_new_file_and_ends_with_the_summary(tmp_path, assemblies):
    # GIVEN a CSV of a shape no sample has, one row of it malformed
    rng = random.Random(7)
    lines = ["Ticket #,Opened (UTC),Priority,Estimate h,Escalated"]
    lines += [
        f"{i},2026-10-{1 + i % 28:02d} {i % 24:02d}:00:00,P{rng.randint(1, 4)},"
        f"{rng.randint(1, 80) / 4},{rng.choice(['yes', 'no'])}"
        for i in range(1, 41)
    ]
    lines.insert(10, "9999,broken")
    source = tmp_path / "tickets.csv"
    source.write_text("\n".join(lines) + "\n")
    # WHEN gdp run processes it
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.cli.main",
            "run",
            "--assembly",
            str(assemblies),
            str(source),
        ],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # THEN it ends with the table: 41 rows read, 40 written, 1 rejected, exit code 0
    assert result.returncode == 0, result.stdout + result.stderr
    [row] = [line for line in result.stdout.splitlines() if line.startswith("tickets.csv")]
    assert row.split()[2:6] == ["SUCCEEDED", "41", "40", "1"]
    assert "dead letters  0" in result.stdout


def test_gdp_run_for_one_application_prints_one_json_object_per_input(tmp_path, assemblies):
    # GIVEN a CSV for the file-processor application
    source = tmp_path / "tiny.csv"
    source.write_text("id,name\n1,a\n2,b\n")
    # WHEN gdp run sends it to that application, as JSON
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.cli.main",
            "run",
            "--app",
            "file-processor",
            "--json",
            "--assembly",
            str(assemblies),
            str(source),
        ],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # THEN stdout is the stage's coverage, one object per input with the documented fields,
    # and where the snapshot is; progress went to stderr
    assert result.returncode == 0, result.stdout + result.stderr
    coverage, row, snapshot = (json.loads(line) for line in result.stdout.splitlines())
    assert list(coverage) == ["stage", "resources", "local_aws", "runtime", "not_emulated"]
    assert coverage["stage"] == "dev"
    assert coverage["resources"] == (
        coverage["local_aws"] + coverage["runtime"] + sum(coverage["not_emulated"].values())
    )
    assert list(row) == [
        "app",
        "input",
        "run",
        "state",
        "rows_read",
        "rows_written",
        "rows_rejected",
        "output",
        "seconds",
        "note",
        "batch",
        "record",
    ]
    assert (row["app"], row["input"], row["state"], row["rows_written"]) == (
        "file-processor",
        "tiny.csv",
        "SUCCEEDED",
        2,
    )
    assert "deployed from its templates" in result.stderr
    output_bucket = StageNaming.of(load_config(None), StageName.DEV).output_bucket
    written = REPOSITORY_ROOT / snapshot["snapshot"] / "s3" / output_bucket / row["output"]
    assert any(path.suffix == ".parquet" for path in written.rglob("*"))


def test_gdp_run_names_an_unknown_application_in_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "shared.cli.main", "run", "--app", "file-procesor"],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    assert "--app file-procesor: not a registered application" in result.stderr + result.stdout
