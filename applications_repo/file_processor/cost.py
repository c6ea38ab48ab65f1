"""What FileProcessorV2 costs a stage a month, from the stage's config and an expected mix of
files (``gdp cost``).

Prices are AWS's public on-demand list prices in us-east-1 (``PRICES_AS_OF``); other regions
differ by a few percent. Throughputs are assumptions, stated here and printed with every
estimate: the Arrow engine's from ``make bench`` (benchmarks/results/), Spark's per worker from
the Spark path's local throughput on 2 cores. Left out, being small or flat: CloudWatch
metrics, alarms and logs, KMS keys, EventBridge (AWS service events are free), the pipeline
account's CodePipeline and CodeBuild.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from applications_repo.file_processor.definition import TRIGGER_MEMORY_MB
from applications_repo.file_processor.engine_choice import EngineChoice, choose
from applications_repo.file_processor.settings import FileProcessorSettings
from shared.config import StageSettings
from shared.errors import PlatformError

PRICES_AS_OF = "2025-06, us-east-1, on demand"
DAYS_PER_MONTH = 30
MB = 1_000_000
UNITS = {"KB": 1_000, "MB": MB, "GB": 1_000 * MB, "TB": 1_000_000 * MB}
MIX_ITEM = re.compile(r"(?P<count>\d+)x(?P<size>\d+(?:\.\d+)?)(?P<unit>KB|MB|GB|TB)", re.I)
DEFAULT_MIX = "1000x2MB,100x100MB,5x3GB"
DPU_PER_WORKER = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0}


@dataclass(frozen=True)
class Prices:
    """The unit prices an estimate uses (USD)."""

    glue_dpu_hour: float = 0.44
    glue_minimum_seconds: int = 60
    lambda_per_million_requests: float = 0.20
    lambda_gb_second: float = 0.0000166667
    s3_gb_month: float = 0.023
    s3_per_1000_puts: float = 0.005
    s3_per_1000_gets: float = 0.0004
    dynamodb_per_million_writes: float = 0.625


@dataclass(frozen=True)
class Assumptions:
    """How long and how much each file takes, as the estimate assumes."""

    glue_start_seconds: float = 15.0
    arrow_mb_per_s: float = 50.0
    spark_mb_per_s_per_executor: float = 15.0
    parquet_to_csv_ratio: float = 0.3
    trigger_seconds: float = 0.3
    s3_puts_per_file: int = 6
    s3_gets_per_file: int = 4
    dynamodb_writes_per_file: int = 2


@dataclass(frozen=True)
class FileClass:
    """Files of one size arriving each day."""

    per_day: int
    size_bytes: int

    @property
    def label(self) -> str:
        unit = max(
            (u for u, scale in UNITS.items() if self.size_bytes >= scale),
            key=lambda u: UNITS[u],
            default="KB",
        )
        return f"{self.per_day}/day x {self.size_bytes / UNITS[unit]:g} {unit}"


@dataclass(frozen=True)
class GlueRuns:
    """The Glue runs of one file class in a month."""

    files: FileClass
    engine: str
    workers: int
    seconds_per_run: float
    runs_per_month: int
    dpu_hours: float
    usd: float
    times_out: bool


@dataclass(frozen=True)
class Line:
    """One priced item of the estimate."""

    item: str
    quantity: float
    unit: str
    unit_price: str
    usd: float


@dataclass(frozen=True)
class Estimate:
    """A stage's monthly cost, item by item."""

    glue: list[GlueRuns]
    lines: list[Line]
    rejected: list[FileClass]

    @property
    def total_usd(self) -> float:
        return sum(line.usd for line in self.lines)


def parse_mix(text: str) -> list[FileClass]:
    """``"1000x2MB,5x3GB"``: counts per day and sizes; one-line error on anything else."""
    classes = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        match = MIX_ITEM.fullmatch(item)
        if match is None:
            raise PlatformError(
                f"--mix: {item!r} is not COUNTxSIZE with a unit of KB, MB, GB or TB (e.g. 1000x2MB)"
            )
        size = float(match["size"]) * UNITS[match["unit"].upper()]
        if int(match["count"]) == 0 or size < 1:
            raise PlatformError(f"--mix: {item!r} has no files or no bytes")
        classes.append(FileClass(int(match["count"]), int(size)))
    if not classes:
        raise PlatformError("--mix: no file classes given (e.g. 1000x2MB,5x3GB)")
    return classes


def estimate(
    settings: StageSettings,
    own: FileProcessorSettings,
    mix: list[FileClass],
    prices: Prices = Prices(),
    assume: Assumptions = Assumptions(),
) -> Estimate:
    """The monthly cost of the stage's FileProcessorV2 for the file mix."""
    accepted = [f for f in mix if f.size_bytes <= own.max_object_bytes]
    rejected = [f for f in mix if f not in accepted]
    glue = [_glue_runs(settings, files, prices, assume) for files in accepted]
    files = sum(f.per_day for f in accepted) * DAYS_PER_MONTH
    received = sum(f.per_day for f in mix) * DAYS_PER_MONTH
    daily_gb = sum(f.per_day * f.size_bytes for f in accepted) / UNITS["GB"]
    stored_input = daily_gb * settings.storage.input_expiration_days
    stored_output = daily_gb * assume.parquet_to_csv_ratio * settings.storage.output_expiration_days
    gb_seconds = received * assume.trigger_seconds * TRIGGER_MEMORY_MB / 1024
    lines = [
        Line(
            "Glue (FileProcessorV2 runs)",
            sum(g.dpu_hours for g in glue),
            "DPU-hours",
            f"${prices.glue_dpu_hour}/DPU-hour, per second, {prices.glue_minimum_seconds} s min",
            sum(g.usd for g in glue),
        ),
        Line(
            "Lambda requests (trigger)",
            received,
            "requests",
            f"${prices.lambda_per_million_requests}/million",
            received * prices.lambda_per_million_requests / 1e6,
        ),
        Line(
            "Lambda compute (trigger)",
            gb_seconds,
            "GB-seconds",
            f"${prices.lambda_gb_second:.10f}".rstrip("0") + "/GB-second",
            gb_seconds * prices.lambda_gb_second,
        ),
        Line(
            "S3 storage (input and output, steady state)",
            stored_input + stored_output,
            "GB-months",
            f"${prices.s3_gb_month}/GB-month",
            (stored_input + stored_output) * prices.s3_gb_month,
        ),
        Line(
            "S3 requests",
            files * (assume.s3_puts_per_file + assume.s3_gets_per_file),
            "requests",
            f"${prices.s3_per_1000_puts}/1000 PUT, ${prices.s3_per_1000_gets}/1000 GET",
            files
            * (
                assume.s3_puts_per_file * prices.s3_per_1000_puts
                + assume.s3_gets_per_file * prices.s3_per_1000_gets
            )
            / 1000,
        ),
        Line(
            "DynamoDB (idempotency records)",
            received * assume.dynamodb_writes_per_file,
            "writes",
            f"${prices.dynamodb_per_million_writes}/million on demand",
            received * assume.dynamodb_writes_per_file * prices.dynamodb_per_million_writes / 1e6,
        ),
    ]
    return Estimate(glue, lines, rejected)


def _glue_runs(
    settings: StageSettings, files: FileClass, prices: Prices, assume: Assumptions
) -> GlueRuns:
    glue = settings.glue
    size_mb = files.size_bytes / MB
    engine = choose(EngineChoice.AUTO, files.size_bytes, glue.single_node_max_bytes)
    if engine is EngineChoice.ARROW:
        # On the driver; auto scaling keeps the job at its floor (driver and one executor).
        workers = glue.min_workers
        work = size_mb / assume.arrow_mb_per_s
    else:
        workers = glue.max_workers
        work = size_mb / (assume.spark_mb_per_s_per_executor * (workers - 1))
    seconds = assume.glue_start_seconds + work
    billed = max(seconds, prices.glue_minimum_seconds)
    runs = files.per_day * DAYS_PER_MONTH
    dpu_hours = runs * workers * DPU_PER_WORKER[glue.worker_type] * billed / 3600
    return GlueRuns(
        files=files,
        engine=engine.value,
        workers=workers,
        seconds_per_run=round(seconds, 1),
        runs_per_month=runs,
        dpu_hours=dpu_hours,
        usd=dpu_hours * prices.glue_dpu_hour,
        times_out=seconds > glue.timeout_minutes * 60,
    )


def render(stage: str, settings: StageSettings, result: Estimate) -> str:
    """The estimate as the text ``gdp cost`` prints."""
    glue = settings.glue
    out = [
        f"FileProcessorV2 in {stage}: estimated monthly cost ({DAYS_PER_MONTH} days)",
        f"Glue {glue.version} {glue.worker_type} ({DPU_PER_WORKER[glue.worker_type]:g} DPU), "
        f"{glue.min_workers}-{glue.max_workers} workers; Arrow engine up to "
        f"{glue.single_node_max_bytes / UNITS['GB']:.2f} GB",
        "",
        f"{'files':<24} {'engine':<6} {'workers':>7} {'s/run':>7} {'runs/month':>10} "
        f"{'DPU-h':>9} {'USD':>10}",
    ]
    for g in result.glue:
        warning = "  (above the job timeout)" if g.times_out else ""
        out.append(
            f"{g.files.label:<24} {g.engine:<6} {g.workers:>7} {g.seconds_per_run:>7.1f} "
            f"{g.runs_per_month:>10,} {g.dpu_hours:>9.1f} {g.usd:>10.2f}{warning}"
        )
    for files in result.rejected:
        out.append(f"{files.label:<24} rejected by the trigger: above trigger.max_object_bytes")
    out += ["", f"{'item':<44} {'quantity':>14} {'USD':>10}  price"]
    for line in result.lines:
        quantity = f"{line.quantity:,.1f} {line.unit}"
        out.append(f"{line.item:<44} {quantity:>14} {line.usd:>10.2f}  {line.unit_price}")
    out += [
        f"{'total':<44} {'':>14} {result.total_usd:>10.2f}",
        "",
        f"Prices: AWS list prices ({PRICES_AS_OF}).",
        "Assumptions: "
        + ", ".join(f"{name} {value}" for name, value in asdict(Assumptions()).items())
        + ".",
        "Not included: CloudWatch, KMS keys, the pipeline account's CodePipeline/CodeBuild.",
    ]
    return "\n".join(out)
