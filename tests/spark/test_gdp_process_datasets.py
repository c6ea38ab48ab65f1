"""``gdp process`` keeps one schema per dataset by the deployed job's rule, reading the
dataset's table from the Parquet it wrote, and prints the dataset each file went to."""

from __future__ import annotations

import json

from shared.cli.main import main


def process(capsys, out, *files):
    code = main(["process", "--out", str(out), *map(str, files)])
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_dataset_keeps_one_schema_across_files(tmp_path, capsys, spark):
    folder = tmp_path / "scores"
    folder.mkdir()
    (folder / "day1.csv").write_text("id,score\n1,10\n")
    (folder / "day2.csv").write_text("id,score,comment\n2,11,fine\n")
    (folder / "day3.csv").write_text("id,score\n3,high\n")
    out = tmp_path / "out"
    code, reports = process(
        capsys, out, folder / "day1.csv", folder / "day2.csv", folder / "day3.csv"
    )
    assert code == 1
    assert [(r["dataset"], r["status"]) for r in reports] == [
        ("scores", "SUCCEEDED"),
        ("scores", "SUCCEEDED"),
        ("scores", "REJECTED"),
    ]
    assert reports[2]["error"].startswith(
        "does not fit dataset scores: score is bigint in the table, the file's is text"
    )
