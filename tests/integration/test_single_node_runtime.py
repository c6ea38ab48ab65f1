"""The single-node functions' deployment packages (FileProcessorV2's and parquet-to-json's),
as the pipeline synthesizes them, run on the Python Lambda runs them on
(``FUNCTION_JOB_PYTHON``, not this test run's 3.11): code asset and layer (pyarrow wheels for
that Python) unpacked as Lambda does, the handler called with a run event, against the local
AWS.

The rest of the suite runs the same code in this process on Python 3.11; these tests are what
show the packages themselves work on the runtime's Python."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from applications_repo.file_processor.names import FileProcessorNames
from applications_repo.parquet_to_json.definition import SAMPLES
from applications_repo.parquet_to_json.metadata import MetadataTable, NewFile, Status, plain
from applications_repo.parquet_to_json.names import ParquetToJsonNames
from applications_repo.parquet_to_json.starting import StartConfig, job_arguments
from shared.application import FUNCTION_JOB_PYTHON
from shared.bundling import locked_versions
from shared.config import StageName
from shared.local.aws import LocalAws
from shared.local.stage_assembly import StageAssembly
from shared.naming import StageNaming
from tests.unit.parquet_to_json.conftest import create_metadata_table

pytestmark = pytest.mark.integration

SDK = ("boto3", "botocore", "jmespath", "s3transfer", "urllib3", "python-dateutil", "six")
"""What Lambda's Python runtime provides beside the package (boto3 and its dependencies), at
the versions of requirements.lock."""
CSV = (
    "order_id,customer,amount,ordered_on,shipped_at\n"
    "1,Acme,12.50,2026-01-02,2026-01-03 10:00:00\n"
    "2,Umbrella,NA,2026-01-05,2026-01-06T08:30:00+02:00\n"
)
DRIVER = """
import json, sys
sys.path[:0] = sys.argv[2].split(":")
import function_job

class Context:
    function_name = sys.argv[3]
    aws_request_id = "request-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:222222222222:function:" + sys.argv[3]
    memory_limit_in_mb = 3008
    log_group_name = "/aws/lambda/" + sys.argv[3]
    function_version = "$LATEST"

    def get_remaining_time_in_millis(self):
        return 900_000

result = function_job.handler(json.loads(sys.argv[1]), Context())
print("RESULT " + json.dumps({"python": list(sys.version_info[:2]), **result}))
"""


def runtime_python() -> str:
    """An interpreter of ``FUNCTION_JOB_PYTHON`` on this machine (PATH, then pyenv's)."""
    version = FUNCTION_JOB_PYTHON
    pyenv = Path("~/.pyenv/versions").expanduser()
    candidates = [
        shutil.which(f"python{version}"),
        *map(str, sorted(pyenv.glob(f"{version}*/bin/python{version}"))),
    ]
    expected = str(tuple(int(part) for part in version.split(".")))
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == expected:
            return candidate
    pytest.fail(
        f"Python {version} (the single-node function's runtime) is not on this machine: "
        f"install it (pyenv install {version}) so that its package can be tested on it"
    )


def deployed_package(assembly: StageAssembly, function_name: str) -> tuple[Path, Path]:
    """The function's code directory and its layer's zip, from the stage's assets."""
    by_key = {asset.key: asset.source for asset in assembly.assets}
    for stack in assembly.stacks:
        resources = stack.template.get("Resources", {})
        for body in resources.values():
            properties = body.get("Properties", {})
            if body["Type"] == "AWS::Lambda::Function" and (
                properties.get("FunctionName") == function_name
            ):
                [layer] = properties["Layers"]
                content = resources[layer["Ref"]]["Properties"]["Content"]
                return by_key[properties["Code"]["S3Key"]], by_key[content["S3Key"]]
    raise AssertionError(f"{function_name} is not in the stage's templates")


def sdk_for_the_runtime(target: Path) -> Path:
    pins = [f"{name}=={version}" for name, version in locked_versions(SDK).items()]
    subprocess.run(
        [
            str(Path(sys.executable).parent / "uv"),
            *("pip", "install", "--quiet", "--no-deps", "--only-binary", ":all:"),
            *("--python-version", FUNCTION_JOB_PYTHON, "--target", str(target), *pins),
        ],
        check=True,
    )
    return target


@dataclass(frozen=True)
class Package:
    """A function job's deployed package, unpacked for the runtime's Python."""

    python: str
    path: str
    function_name: str
    environment: dict[str, str]

    @classmethod
    def of(cls, assembly: StageAssembly, function_name: str, tmp_path: Path) -> Package:
        code, layer_zip = deployed_package(assembly, function_name)
        layer = tmp_path / "layer"
        with zipfile.ZipFile(layer_zip) as archive:
            archive.extractall(layer)
        sdk = sdk_for_the_runtime(tmp_path / "sdk")
        [function] = [
            body["Properties"]
            for stack in assembly.stacks
            for body in stack.template.get("Resources", {}).values()
            if body["Type"] == "AWS::Lambda::Function"
            and body["Properties"].get("FunctionName") == function_name
        ]
        path = ":".join(map(str, (code, layer / "python", sdk)))
        return cls(runtime_python(), path, function_name, function["Environment"]["Variables"])

    def run(self, aws: LocalAws, event: dict) -> dict:
        """The handler's result for ``event``, on the runtime's Python, against ``aws``."""
        done = subprocess.run(
            [self.python, "-I", "-c", DRIVER, json.dumps(event), self.path, self.function_name],
            env={**aws.environment, **self.environment, "PATH": "/usr/bin"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        [line] = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        result = json.loads(line.removeprefix("RESULT "))
        assert result["python"] == [int(p) for p in FUNCTION_JOB_PYTHON.split(".")]
        return result


def test_the_package_runs_a_file_on_the_runtimes_python(dev_assembly, platform_config, tmp_path):
    naming = StageNaming.of(platform_config, StageName.DEV)
    names = FileProcessorNames(naming)
    package = Package.of(dev_assembly, names.single_node_function, tmp_path)
    with LocalAws(naming) as aws:
        s3, glue = aws.client("s3"), aws.client("glue")
        for bucket in (naming.input_bucket, naming.output_bucket):
            s3.create_bucket(Bucket=bucket)
        glue.create_database(DatabaseInput={"Name": naming.database})
        s3.put_object(Bucket=naming.input_bucket, Key="orders/day.csv", Body=CSV.encode())
        event = {
            "JobRunId": "fr_runtime",
            "Arguments": {
                "--source_bucket": naming.input_bucket,
                "--source_key": "orders/day.csv",
            },
        }
        result = package.run(aws, event)
        assert (result["status"], result["rows_written"]) == ("SUCCEEDED", 2), result
        assert result["detail"]["engine"] == "arrow"
        [key] = [
            item["Key"]
            for item in s3.list_objects_v2(Bucket=naming.output_bucket, Prefix="orders/")[
                "Contents"
            ]
            if item["Key"].endswith(".parquet")
        ]
        body = s3.get_object(Bucket=naming.output_bucket, Key=key)["Body"].read()
        table = glue.get_table(DatabaseName=naming.database, Name="orders")["Table"]
    (tmp_path / "out.parquet").write_bytes(body)
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [(r["order_id"], str(r["amount"])) for r in rows] == [(1, "12.50"), (2, "None")]
    assert rows[1]["shipped_at"].isoformat() == "2026-01-06T06:30:00+00:00"
    assert {c["Name"] for c in table["StorageDescriptor"]["Columns"]} >= {"order_id", "amount"}


def test_the_parquet_to_json_package_converts_a_file_on_the_runtimes_python(
    dev_assembly, platform_config, tmp_path
):
    naming = StageNaming.of(platform_config, StageName.DEV)
    names = ParquetToJsonNames(naming)
    package = Package.of(dev_assembly, names.single_node, tmp_path)
    key = "raw-data/2024/01/15/yellow_tripdata_2024-01.parquet"
    with LocalAws(naming) as aws:
        s3 = aws.client("s3")
        for bucket in (names.source_bucket, names.output_bucket):
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=names.source_bucket, Key=key, Body=(SAMPLES / key).read_bytes())
        create_metadata_table(aws.client("dynamodb"), names.metadata_table)
        table = MetadataTable(aws.session.resource("dynamodb").Table(names.metadata_table))
        new = NewFile(
            file_id=f"{key}@null",
            source_file_path=f"s3://{names.source_bucket}/{key}",
            source_version=None,
            output_file_path=f"s3://{names.output_bucket}/processed-data/2024/01/15/trips.json",
            rejects_file_path=f"s3://{names.output_bucket}/rejected-data/2024/01/15/trips.json",
            file_size_bytes=(SAMPLES / key).stat().st_size,
        )
        assert table.create(new, Status.PENDING, by="test")
        assert table.claim_start(new.file_id, "token", by="test")
        start = StartConfig(names.job, names.single_node, 1 << 30, names.metadata_table)
        item = table.get(new.file_id)
        assert item is not None
        event = {"JobRunId": "fr_runtime", "Arguments": job_arguments(item, "token", start)}
        result = package.run(aws, event)
        assert (result["status"], result["rows_written"], result["rows_rejected"]) == (
            "SUCCEEDED",
            4996,
            4,
        ), result
        record = plain(table.get(new.file_id))
        body = s3.get_object(Bucket=names.output_bucket, Key="processed-data/2024/01/15/trips.json")
        lines = body["Body"].read().decode().splitlines()
    assert record["processing_status"] == "SUCCEEDED" and record["engine"] == "arrow"
    assert len(lines) == 4996 and json.loads(lines[0])["tpep_pickup_datetime"].endswith("Z")
