"""ndjson-batching under concurrency, against the local AWS (moto's server, its DynamoDB
writes atomic as DynamoDB's are): builders in parallel threads while files keep arriving,
events delivered twice, some builders dying between moving their files and writing their
manifest; then the sweeper. Every valid file ends in exactly one manifest and one output, its
statuses follow the lifecycle, and every invalid file is quarantined with its reason."""

from __future__ import annotations

import io
import itertools
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest

from applications_repo.ndjson_batching.batching import (
    BatchConfig,
    BatchRules,
    flush,
    release_expired,
)
from applications_repo.ndjson_batching.job.batch import Batch, process_batch
from applications_repo.ndjson_batching.manifest import Manifest
from applications_repo.ndjson_batching.runtime import builder
from applications_repo.ndjson_batching.tracking import ALLOWED, FileStatus, TrackingTable
from applications_repo.ndjson_batching.validation import FileRules
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
DEATH_RATE = 0.25
CERTAIN_DEATHS = 2
TWICE_RATE = 0.3
RULES = BatchRules(max_files=10, max_bytes=10**9, max_age_seconds=30, lease_seconds=60)
CONFIG = BatchConfig(
    input_bucket=NAMES.input_bucket,
    manifest_bucket=NAMES.manifest_bucket,
    tracking_table=NAMES.tracking_table,
    files=FileRules(min_bytes=100, max_bytes=10**6, lines=5),
    rules=RULES,
)


class BuilderDiedError(RuntimeError):
    """The builder's sandbox ends here (a timeout, an out-of-memory kill)."""


@dataclass
class Deaths:
    """Which manifest writes kill their builder: the first ``certain`` of the run, then each
    with probability ``rate`` (seeded), so that every run shows recovery."""

    certain: int
    rate: float
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def strike(self, rng: random.Random) -> bool:
        with self.lock:
            dies = self.count < self.certain or rng.random() < self.rate
            self.count += dies
            return dies


class DyingS3:
    """An S3 client whose manifest writes may kill the builder (``Deaths``)."""

    def __init__(self, s3: Any, rng: random.Random, deaths: Deaths) -> None:
        self._s3, self._rng, self._deaths = s3, rng, deaths

    def put_object(self, **kwargs: Any) -> Any:
        if kwargs["Bucket"] == NAMES.manifest_bucket and self._deaths.strike(self._rng):
            raise BuilderDiedError("killed after moving its files, before writing its manifest")
        return self._s3.put_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


@dataclass
class Arrivals:
    """The file events, as the queue would hand them to the builders."""

    events: list[dict] = field(default_factory=list)
    ready: threading.Condition = field(default_factory=threading.Condition)
    done: threading.Event = field(default_factory=threading.Event)
    expected_ids: set[int] = field(default_factory=set)

    def take(self, count: int) -> list[dict] | None:
        """Up to ``count`` events; ``None`` once every file has arrived and been taken."""
        with self.ready:
            while not self.events and not self.done.is_set():
                self.ready.wait(0.1)
            if not self.events:
                return None
            return [self.events.pop(0) for _ in range(min(count, len(self.events)))]


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


def tracking_table() -> TrackingTable:
    resource = boto3.resource("dynamodb", region_name=NAMING.region)
    return TrackingTable(resource.Table(NAMES.tracking_table))


def upload_files(s3: Any, arrivals: Arrivals, rng: random.Random) -> None:
    """Files keep arriving while the builders run; some events come twice, out of order."""
    order = [("valid", i) for i in range(VALID_FILES)] + [
        ("invalid", i) for i in range(INVALID_FILES)
    ]
    rng.shuffle(order)
    for kind, index in order:
        key = f"in/{kind}-{index:03d}.ndjson"
        if kind == "valid":
            body = ndjson(ROWS_PER_FILE, start=index * ROWS_PER_FILE)
            arrivals.expected_ids.update(range(index * ROWS_PER_FILE, (index + 1) * ROWS_PER_FILE))
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
        with arrivals.ready:
            arrivals.events.append(event)
            if rng.random() < TWICE_RATE:
                arrivals.events.insert(rng.randrange(len(arrivals.events) + 1), event)
            arrivals.ready.notify_all()
        time.sleep(0.005)
    arrivals.done.set()


def run_builder(number: int, arrivals: Arrivals, deaths: Deaths, errors: list) -> None:
    """One builder: takes events three at a time, tracks them, ships what is ready."""
    rng = random.Random(SEED + number)
    aws = builder.Clients(
        DyingS3(boto3.client("s3", region_name=NAMING.region), rng, deaths), tracking_table()
    )
    try:
        while (events := arrivals.take(3)) is not None:
            for event in events:
                builder.track_object(event, aws, CONFIG)
            try:
                flush(
                    aws.tracking,
                    aws.s3,
                    NAMES.manifest_bucket,
                    RULES,
                    owner=f"builder-{number}-{rng.random()}",
                    clock=clock.now,
                )
            except BuilderDiedError:
                continue  # the next invocation is a new builder
    except BaseException as error:  # the test's own failure, reported by the test
        errors.append(error)


def all_manifests(s3: Any) -> list[Manifest]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=NAMES.manifest_bucket)
    return [
        Manifest.from_json(s3.get_object(Bucket=NAMES.manifest_bucket, Key=o["Key"])["Body"].read())
        for page in pages
        for o in page.get("Contents", [])
    ]


def output_ids(s3: Any) -> list[int]:
    ids: list[int] = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=NAMES.output_bucket, Prefix="merged-parquet-"
    )
    for page in pages:
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=NAMES.output_bucket, Key=item["Key"])["Body"].read()
            ids += pq.read_table(io.BytesIO(body), columns=["id"]).column("id").to_pylist()
    return ids


def test_every_file_in_exactly_one_manifest_and_one_output(local_aws, spark, tmp_path: Path):
    s3 = local_aws.client("s3")
    arrivals, deaths, errors = Arrivals(), Deaths(CERTAIN_DEATHS, DEATH_RATE), []
    threads = [
        threading.Thread(target=upload_files, args=(s3, arrivals, random.Random(SEED))),
        *(
            threading.Thread(target=run_builder, args=(n, arrivals, deaths, errors))
            for n in range(BUILDERS)
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert deaths.count >= CERTAIN_DEATHS

    # the sweeper, as its schedule runs it: once the leases have expired and the batches are
    # old (on the stage's clock, which the builders' tracking used too)
    tracking = tracking_table()
    later = clock.now() + RULES.lease_seconds + RULES.max_age_seconds + 1
    release_expired(tracking, s3, NAMES.manifest_bucket, clock=lambda: later)
    flush(tracking, s3, NAMES.manifest_bucket, RULES, owner="sweeper", clock=lambda: later)
    assert tracking.count(FileStatus.PENDING) == 0

    manifests = all_manifests(s3)
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
        batch = Batch(
            manifest=manifest,
            run_id=f"jr_{index:04d}",
            output_bucket=NAMES.output_bucket,
            target_bytes=128 << 20,
            s3=s3,
            glue=glue,
            database=NAMING.database,
            tracking=tracking,
            storage=StagedS3Storage(s3, tmp_path / str(index)),
        )
        process_batch(spark, batch)
    ids = output_ids(s3)
    assert len(ids) == len(set(ids)), "a row was written twice"
    assert set(ids) == arrivals.expected_ids
    completed = list(tracking.in_status(FileStatus.COMPLETED))
    assert len(completed) == VALID_FILES
    for item in completed + quarantined:
        history = [FileStatus(h["status"]) for h in item["history"]]
        for before, after in itertools.pairwise(history):
            assert before in ALLOWED[after], f"{item['key']}: {before} -> {after}"
