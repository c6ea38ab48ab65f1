"""What FileProcessorV2 costs a stage a month, from the stage's config and an expected mix of
files (``gdp cost``).

Files up to ``glue.single_node_max_bytes`` run on the single-node function (Lambda, billed
per millisecond of its memory), larger ones on Glue (Spark on every worker, billed per second
with a one-minute minimum), as the trigger chooses. Prices are AWS's public on-demand list
prices in us-east-1 (``PRICES_AS_OF``); other regions differ by a few percent. Throughputs are
assumptions, stated here and printed with every estimate: the Arrow engine's below what
``make bench`` measures on 2 cores (benchmarks/results/), for Lambda's share of a CPU and S3
streaming; Spark's per worker from the Spark path's local throughput on 2 cores. Left out,
being small or flat: CloudWatch metrics, alarms and logs, KMS keys ($1 a month each),
EventBridge (AWS service events are free), the Glue Data Catalog (a million requests a month
free; a run makes four), the pipeline account's CodePipeline and CodeBuild.
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
    single_node_start_seconds: float = 1.5
    single_node_mb_per_s: float = 50.0
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
class Runs:
    """The runs of one file class in a month, on Glue or on the single-node function.

    ``size`` is the workers of a Glue run (``G.1X`` each) or the function's memory (MB);
    ``units`` are DPU-hours or GB-seconds."""

    files: FileClass
    engine: str
    runs_on: str
    size: int
    seconds_per_run: float
    runs_per_month: int
    units: float
    unit: str
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

    runs: list[Runs]
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
    runs = [_runs(settings, own, files, prices, assume) for files in accepted]
    glue = [r for r in runs if r.runs_on == GLUE]
    single = [r for r in runs if r.runs_on == LAMBDA]
    files = sum(f.per_day for f in accepted) * DAYS_PER_MONTH
    received = sum(f.per_day for f in mix) * DAYS_PER_MONTH
    daily_gb = sum(f.per_day * f.size_bytes for f in accepted) / UNITS["GB"]
    stored_input = daily_gb * settings.storage.input_expiration_days
    stored_output = daily_gb * assume.parquet_to_csv_ratio * settings.storage.output_expiration_days
    gb_seconds = received * assume.trigger_seconds * TRIGGER_MEMORY_MB / 1024
    single_runs = sum(r.runs_per_month for r in single)
    lambda_gb_second = f"${prices.lambda_gb_second:.10f}".rstrip("0") + "/GB-second"
    lines = [
        Line(
            "Glue (FileProcessorV2 runs, Spark)",
            sum(g.units for g in glue),
            "DPU-hours",
            f"${prices.glue_dpu_hour}/DPU-hour, per second, {prices.glue_minimum_seconds} s min",
            sum(g.usd for g in glue),
        ),
        Line(
            "Lambda compute (single-node runs, Arrow)",
            sum(r.units for r in single),
            "GB-seconds",
            lambda_gb_second,
            sum(r.usd for r in single),
        ),
        Line(
            "Lambda requests (single-node runs)",
            single_runs,
            "requests",
            f"${prices.lambda_per_million_requests}/million",
            single_runs * prices.lambda_per_million_requests / 1e6,
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
            lambda_gb_second,
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
    return Estimate(runs, lines, rejected)


GLUE, LAMBDA = "Glue", "Lambda"


def _runs(
    settings: StageSettings,
    own: FileProcessorSettings,
    files: FileClass,
    prices: Prices,
    assume: Assumptions,
) -> Runs:
    glue = settings.glue
    size_mb = files.size_bytes / MB
    runs = files.per_day * DAYS_PER_MONTH
    engine = choose(EngineChoice.AUTO, files.size_bytes, glue.single_node_max_bytes)
    if engine is EngineChoice.ARROW:
        memory = own.single_node_memory_mb
        seconds = assume.single_node_start_seconds + size_mb / assume.single_node_mb_per_s
        gb_seconds = runs * seconds * memory / 1024
        return Runs(
            files=files,
            engine=engine.value,
            runs_on=LAMBDA,
            size=memory,
            seconds_per_run=round(seconds, 1),
            runs_per_month=runs,
            units=gb_seconds,
            unit="GB-s",
            usd=gb_seconds * prices.lambda_gb_second,
            times_out=seconds > own.single_node_timeout_seconds,
        )
    workers = glue.max_workers
    work = size_mb / (assume.spark_mb_per_s_per_executor * (workers - 1))
    seconds = assume.glue_start_seconds + work
    billed = max(seconds, prices.glue_minimum_seconds)
    dpu_hours = runs * workers * DPU_PER_WORKER[glue.worker_type] * billed / 3600
    return Runs(
        files=files,
        engine=engine.value,
        runs_on=GLUE,
        size=workers,
        seconds_per_run=round(seconds, 1),
        runs_per_month=runs,
        units=dpu_hours,
        unit="DPU-h",
        usd=dpu_hours * prices.glue_dpu_hour,
        times_out=seconds > glue.timeout_minutes * 60,
    )


def render(stage: str, settings: StageSettings, result: Estimate) -> str:
    """The estimate as the text ``gdp cost`` prints."""
    glue = settings.glue
    out = [
        f"FileProcessorV2 in {stage}: estimated monthly cost ({DAYS_PER_MONTH} days)",
        f"Files up to {glue.single_node_max_bytes / UNITS['GB']:.2f} GB: the single-node "
        "function (Arrow, Lambda); larger: "
        f"Glue {glue.version} {glue.worker_type} ({DPU_PER_WORKER[glue.worker_type]:g} DPU), "
        f"{glue.max_workers} workers (Spark)",
        "",
        f"{'files':<24} {'engine':<6} {'on':<7} {'size':>9} {'s/run':>7} {'runs/month':>10} "
        f"{'usage':>14} {'USD':>10}",
    ]
    for r in result.runs:
        warning = "  (above the timeout)" if r.times_out else ""
        size = f"{r.size} MB" if r.runs_on == LAMBDA else f"{r.size} wkr"
        usage = f"{r.units:,.1f} {r.unit}"
        out.append(
            f"{r.files.label:<24} {r.engine:<6} {r.runs_on:<7} {size:>9} {r.seconds_per_run:>7.1f} "
            f"{r.runs_per_month:>10,} {usage:>14} {r.usd:>10.2f}{warning}"
        )
    for files in result.rejected:
        out.append(f"{files.label:<24} rejected by the trigger: above trigger.max_object_bytes")
    out += ["", f"{'item':<44} {'quantity':>22} {'USD':>10}  price"]
    for line in result.lines:
        quantity = f"{line.quantity:,.1f} {line.unit}"
        out.append(f"{line.item:<44} {quantity:>22} {line.usd:>10.2f}  {line.unit_price}")
    out += [
        f"{'total':<44} {'':>22} {result.total_usd:>10.2f}",
        "",
        f"Prices: AWS list prices ({PRICES_AS_OF}).",
        "Assumptions: "
        + ", ".join(f"{name} {value}" for name, value in asdict(Assumptions()).items())
        + ".",
        "Not included: CloudWatch, KMS keys ($1/month each), the Glue Data Catalog (first "
        "million requests a month free), the pipeline account's CodePipeline/CodeBuild.",
    ]
    return "\n".join(out)
