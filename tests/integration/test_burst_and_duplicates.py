"""A burst of uploads, and repeated events: every file is processed exactly once, nothing
waits forever, nothing is lost (small files: the single-node function; the Glue path's own
queue is in test_glue_path)."""

from __future__ import annotations

import json

import pytest

from applications_repo.file_processor.names import FileProcessorNames
from shared.cli.main import main
from shared.local.run import summary
from tests.post_deploy.checks import parquet_row_count

pytestmark = pytest.mark.integration

BURST = 20


def runs_of(local_stage, key: str) -> list:
    """The stage's runs (single-node and Glue) of one input key."""
    return [r for r in local_stage.runs() if r.arguments.get("--source_key") == key]


def test_a_burst_of_uploads_is_processed_once_each(local_stage, tmp_path):
    # GIVEN twenty CSV files uploaded at once
    uploads = []
    for index in range(BURST):
        path = tmp_path / f"part-{index:02d}.csv"
        path.write_text("id,value\n" + "".join(f"{i},{index}\n" for i in range(index + 1)))
        uploads.append(local_stage.upload(path, f"burst/{path.name}"))
    # WHEN they have all been delivered and run
    local_stage.wait(uploads)
    rows = summary(local_stage, uploads, [])
    # THEN every file ran once, to success, on the single-node function
    assert [row.state for row in rows] == ["SUCCEEDED"] * BURST, [r.note for r in rows]
    assert len({row.run_id for row in rows}) == BURST
    names = FileProcessorNames(local_stage.naming)
    for upload in uploads:
        [run] = runs_of(local_stage, upload.key)
        assert run.job_name == names.single_node_function
    s3 = local_stage.session.client("s3")
    written = parquet_row_count(s3, local_stage.naming.output_bucket, "burst/")
    assert written == sum(range(1, BURST + 1))
    assert local_stage.dead_letters() == 0


def test_an_event_delivered_twice_gives_one_run_and_one_output(local_stage, tmp_path):
    # GIVEN a processed upload
    path = tmp_path / "once.csv"
    path.write_text("id\n1\n2\n")
    upload = local_stage.upload(path, "twice/once.csv")
    local_stage.wait([upload])
    delivery = local_stage.deliveries[(upload.bucket, upload.key, upload.version_id)]
    # WHEN EventBridge delivers the same event again
    local_stage.redeliver(delivery)
    local_stage.wait([upload])
    # THEN it is recognised as a duplicate: no second run, one set of output rows
    assert delivery.outcome == "STARTED" and delivery.duplicates == 1
    assert len(runs_of(local_stage, "twice/once.csv")) == 1
    s3 = local_stage.session.client("s3")
    assert parquet_row_count(s3, local_stage.naming.output_bucket, "twice/") == 2


def test_gdp_reprocess_reruns_a_file_and_replaces_its_output(local_stage, tmp_path, capsys):
    # GIVEN a processed upload
    path = tmp_path / "again.csv"
    path.write_text("id\n1\n2\n3\n")
    upload = local_stage.upload(path, "rerun/again.csv")
    local_stage.wait([upload])
    # WHEN it is re-driven by key
    assert main(["reprocess", "--key", "rerun/again.csv"]) == 0
    redrive = json.loads(capsys.readouterr().out)
    local_stage.wait([upload])
    # THEN a second run succeeded and the output still holds the rows once
    run = local_stage.run(redrive["job_run_id"])
    assert run is not None and run.state == "SUCCEEDED"
    assert len(runs_of(local_stage, "rerun/again.csv")) == 2
    s3 = local_stage.session.client("s3")
    assert parquet_row_count(s3, local_stage.naming.output_bucket, "rerun/") == 3
