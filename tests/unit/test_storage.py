"""Both storages list a key prefix as S3 does (a folder, or the keys that start with it, so
that a job lists one source's files without listing the whole partition) and take in a
local file whole."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from shared.glue.storage import LocalStorage, S3Storage, Storage

KEYS = (
    "data/day=1/abc-part-00000.parquet",
    "data/day=1/abc-part-00001.parquet",
    "data/day=1/abd-part-00000.parquet",
    "data/day=10/abc-part-00000.parquet",
    "data/day=1/nested/abc-part-00000.parquet",
)
PREFIXES = {
    "data/day=1/abc-part-": KEYS[:2],
    "data/day=1/": (KEYS[0], KEYS[1], KEYS[2], KEYS[4]),
    "data/day=1": KEYS,
    "data/day=2/": (),
    "data/day=1/x": (),
    "missing/abc": (),
}


@pytest.fixture(params=["local", "s3"])
def stored(request, tmp_path) -> tuple[Storage, str]:
    """A storage holding ``KEYS``, and the root its URIs start with."""
    if request.param == "local":
        for key in KEYS:
            (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / key).write_bytes(b"x")
        yield LocalStorage(), f"{tmp_path}/"
        return
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bucket")
        for key in KEYS:
            s3.put_object(Bucket="bucket", Key=key, Body=b"x")
        yield S3Storage(s3), "s3://bucket/"


@pytest.mark.parametrize("prefix", list(PREFIXES))
def test_a_prefix_lists_the_keys_that_start_with_it(stored, prefix):
    storage, root = stored
    listed = {uri.removeprefix(root) for uri in storage.list(root + prefix)}
    assert listed == set(PREFIXES[prefix])


def test_a_local_file_moved_in_is_the_object_and_is_gone(stored, tmp_path):
    storage, root = stored
    made = tmp_path / "work" / "part-00000.parquet"
    made.parent.mkdir()
    made.write_bytes(b"parquet bytes")
    storage.move_in(made, f"{root}staging/part-00000.parquet")
    with storage.open(f"{root}staging/part-00000.parquet") as stream:
        assert stream.read() == b"parquet bytes"
    assert not made.exists()
