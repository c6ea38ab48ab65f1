"""ndjson-batching under concurrency, against the local AWS (moto's server, its DynamoDB
writes atomic as DynamoDB's are): builders in parallel threads while files keep arriving,
events delivered twice, some builders dying between moving their files and writing their
manifest; then the sweeper. Every valid file ends in exactly one manifest and one output, its
statuses follow the lifecycle, and every invalid file is quarantined with its reason."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest

from applications_repo.ndjson_batching.batching import BatchRules, flush, release_expired
from applications_repo.ndjson_batching.job.batch import Batch, process_batch
from applications_repo.ndjson_batching.manifest import Manifest
from applications_repo.ndjson_batching.runtime import builder
from applications_repo.ndjson_batching.tracking import ALLOWED, FileStatus, TrackingTable
from shared import clock
from shared.glue.storage import StagedS3Storage
from shared.local.aws import LocalAws
from shared.local.events import object_created_event
from tests.unit.ndjson_batching.conftest import NAMES, NAMING, create_tracking_table, ndjson

SEED = 20261201
VALID_FILES = 48
INVALID_FILES = 6
BUILDERS = 6
ROWS_PER_FILE = 20
RULES = BatchRules(max_files=10, max_bytes=10**9, max_age_seconds=30, lease_seconds=60)


class BuilderDied(RuntimeError):
    """The builder's sandbox ends here (a timeout, an out-of-memory kill)."""


class DyingS3:
    """An S3 client whose manifest writes kill the builder with probability ``rate``."""

    def __init__(self, s3: Any, rng: random.Random, rate: float) -> None:
        self._s3, self._rng, self._rate = s3, rng, rate
        self.deaths = 0

    def put_object(self, **kwargs: Any) -> Any:
        if kwargs["Bucket"] == NAMES.manifest_bucket and self._rng.random() < self._rate:
            self.deaths += 1
            raise BuilderDied("killed after moving its files, before writing its manifest")
        return self._s3.put_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


@pytest.fixture
def local_aws():
    with LocalAws(NAMING) as aws:
        s3 = aws.client("s3")
        for bucket in (NAMES.input_bucket, NAMES.manifest_bucket, NAMES.output_bucket):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        create_tracking_table(aws.client("dynamodb"), NAMES.tracking_table)
        aws.client("glue").create_database(DatabaseInput={"Name": NAMING.database})
        yield aws


def config() -> builder.BuilderConfig:
    return builder.BuilderConfig(
        input_bucket=NAMES.input_bucket,
        manifest_bucket=NAMES.manifest_bucket,
        tracking_table=NAMES.tracking_table,
        min_file_bytes=100,
        max_file_bytes=10**6,
        validated_lines=5,
        rules=RULES,
    )


def tracking_table() -> TrackingTable:
    return TrackingTable(
        boto3.resource("dynamodb", region_name=NAMING.region).Table(NAMES.tracking_table)
    )


def test_every_file_in_exactly_one_manifest_and_one_output(local_aws, spark, tmp_path: Path):
    rng = random.Random(SEED)
    s3 = local_aws.client("s3")
    arrivals: list[dict] = []
    arriving = threading.Condition()
    done_arriving = threading.Event()
    expected_ids: set[int] = set()

    def upload_files() -> None:
        """Files keep arriving while the builders run; some events twice, out of order."""
        order = [("valid", i) for i in range(VALID_FILES)] + [
            ("invalid", i) for i in range(INVALID_FILES)
        ]
        rng.shuffle(order)
        for kind, index in order:
            key = f"in/{kind}-{index:03d}.ndjson"
            if kind == "valid":
                body = ndjson(ROWS_PER_FILE, start=index * ROWS_PER_FILE)
                expected_ids.update(range(index * ROWS_PER_FILE, (index + 1) * ROWS_PER_FILE))
            else:
                body = b'{"ok": 1}\nthis line is not JSON\n' + b" " * 200
            put = s3.put_object(Bucket=NAMES.input_bucket, Key=key, Body=body)
            event = object_created_event(
                bucket=NAMES.input_bucket,
                key=key,
                size=len(body),
                version_id=put["VersionId"],
                account=NAMING.account,
                region=NAMING.region,
            )
            with arriving:
                arrivals.append(event)
                if rng.random() < 0.3:
                    arrivals.insert(rng.randrange(len(arrivals) + 1), event)  # twice, anywhere
                arriving.notify_all()
            time.sleep(0.005)
        done_arriving.set()
        with arriving:
            arriving.notify_all()

    deaths = Counter()
    errors: list[BaseException] = []

    def run_builder(number: int) -> None:
        own_rng = random.Random(SEED + number)
        aws = builder.Clients(
            DyingS3(boto3.client("s3", region_name=NAMING.region), own_rng, rate=0.25),
            tracking_table(),
        )
        try:
            while True:
                with arriving:
                    while not arrivals and not done_arriving.is_set():
                        arriving.wait(0.1)
                    if not arrivals and done_arriving.is_set():
                        return
                    batch = [arrivals.pop(0) for _ in range(min(3, len(arrivals)))]
                for event in batch:
                    builder.track_object(event, aws, config())
                try:
                    flush(
                        aws.tracking,
                        aws.s3,
                        NAMES.manifest_bucket,
                        RULES,
                        owner=f"builder-{number}-{own_rng.random()}",
                        clock=clock.now,
                    )
                except BuilderDied:
                    deaths[number] += 1
        except BaseException as error:  # the test's own failure, shown below
            errors.append(error)

    threads = [threading.Thread(target=upload_files)] + [
        threading.Thread(target=run_builder, args=(n,)) for n in range(BUILDERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(deaths.values()) > 0, "no builder died: the test shows nothing about recovery"

    # the sweeper, as its schedule runs it: once the leases have expired and the batches are
    # old (on the stage's clock, which the builders' tracking used too)
    tracking = tracking_table()
    later = clock.now() + RULES.lease_seconds + RULES.max_age_seconds + 1
    release_expired(tracking, s3, NAMES.manifest_bucket, clock=lambda: later)
    flush(tracking, s3, NAMES.manifest_bucket, RULES, owner="sweeper", clock=lambda: later)
    left = list(tracking.in_status(FileStatus.PENDING))
    assert not left, [(i["key"], i["history"], i.get("lease_expires")) for i in left][:3]

    manifests = [
        Manifest.from_json(s3.get_object(Bucket=NAMES.manifest_bucket, Key=o["Key"])["Body"].read())
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=NAMES.manifest_bucket)
        for o in page.get("Contents", [])
    ]
    in_manifests = Counter(f.key for m in manifests for f in m.files)
    assert sorted(in_manifests) == sorted(f"in/valid-{i:03d}.ndjson" for i in range(VALID_FILES))
    assert set(in_manifests.values()) == {1}, "a file is in two manifests"

    quarantined = list(tracking.in_status(FileStatus.QUARANTINED))
    assert sorted(i["key"] for i in quarantined) == sorted(
        f"in/invalid-{i:03d}.ndjson" for i in range(INVALID_FILES)
    )
    assert all(i["reason"].startswith("line 2: not JSON") for i in quarantined)

    glue = local_aws.client("glue")
    for index, manifest in enumerate(manifests):
        process_batch(
            spark,
            Batch(
                manifest=manifest,
                run_id=f"jr_{index:04d}",
                output_bucket=NAMES.output_bucket,
                target_bytes=128 << 20,
                s3=s3,
                glue=glue,
                database=NAMING.database,
                tracking=tracking,
                storage=StagedS3Storage(s3, tmp_path / str(index)),
            ),
        )
    ids = read_output_ids(s3)
    assert len(ids) == len(set(ids)), "a row was written twice"
    assert set(ids) == expected_ids
    completed = list(tracking.in_status(FileStatus.COMPLETED))
    assert len(completed) == VALID_FILES
    for item in completed + quarantined:
        history = [FileStatus(h["status"]) for h in item["history"]]
        for before, after in zip(history, history[1:], strict=False):
            assert before in ALLOWED[after], f"{item['key']}: {before} -> {after}"


def read_output_ids(s3: Any) -> list[int]:
    import io  # noqa: PLC0415

    import pyarrow.parquet as pq  # noqa: PLC0415

    ids: list[int] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=NAMES.output_bucket, Prefix="merged-parquet-"
    ):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=NAMES.output_bucket, Key=item["Key"])["Body"].read()
            ids += pq.read_table(io.BytesIO(body), columns=["id"]).column("id").to_pylist()
    return ids
