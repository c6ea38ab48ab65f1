"""One stage of the platform on this machine, made from its synthesized templates.

moto on 127.0.0.1 is the AWS API. The stage's cloud assemblies (both apps, in deployment
order) are deployed into it resource by resource (``deploy``); the local runtime then does
what AWS does around the deployed resources: Lambda functions run in this process
(``functions``), EventBridge rules and S3 notifications deliver events (``event_bus``), SQS
event source mappings poll (``queues``), schedules fire (``schedules``), Glue job runs run
their deployed scripts on local Spark (``glue_executor``), function jobs' runs are kept like
Glue's (``function_runs``), state machines execute (``state_machines``), crawlers crawl
(``crawlers``), REST APIs serve on 127.0.0.1 (``rest_apis``), and the services the
applications call are stood in for. Nothing here knows an application.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from moto.sns.models import sns_backends

from shared.application import Definition, load_object
from shared.config import PlatformConfig, StageName
from shared.errors import PlatformError
from shared.local import dead_letters
from shared.local.aws import LocalAws
from shared.local.clock import LocalClock
from shared.local.crawlers import LocalCrawlers
from shared.local.deliveries import Delivery, DeliveryLog
from shared.local.deploy import Coverage, DeployedStage, deploy_stage
from shared.local.event_bus import LocalEventBridge
from shared.local.function_runs import FunctionRuns
from shared.local.functions import LocalFunctions
from shared.local.glue_executor import LocalGlueExecutor, RunRecord, warm_up_spark
from shared.local.queues import LocalEventSourceMappings
from shared.local.report import Upload
from shared.local.rest_apis import LocalRestApis
from shared.local.schedules import LocalSchedules
from shared.local.snapshot import write_snapshot
from shared.local.stage_assembly import StageAssembly, cached_stage
from shared.local.state_machines import LocalStateMachines, StepFunctionsEngine
from shared.local.targets import Targets
from shared.monitoring.definition import stage_definitions
from shared.naming import StageNaming
from shared.registry import InputState, registered

IGNORED_SAMPLE_SUFFIXES = (".md",)
WAIT_TIMEOUT_SECONDS = 600.0
WAIT_POLL_SECONDS = 0.2
QUIET_POLLS = 2
DEAD_LETTER_SOURCES = ("OnFailure", "DeadLetterConfig", "RedrivePolicy")


def selected(applications: Sequence[Definition], apps: Sequence[str]) -> list[Definition]:
    """The definitions of the named applications (every one when none is named).

    Raises:
        PlatformError: naming an application that is not registered.
    """
    known = [d.name for d in applications]
    unknown = [a for a in apps if a not in known]
    if unknown:
        raise PlatformError(
            f"--app {', '.join(unknown)}: not a registered application "
            f"(registered: {', '.join(known)})"
        )
    return [d for d in applications if not apps or d.name in apps]


class LocalRunTimeout(PlatformError):  # noqa: N818 (reads as what happened)
    """The inputs were not all processed in time."""


class LocalStage:
    """A stage deployed from its templates into a local AWS, with its runtime running.

    Used by ``gdp run`` and the integration tests; ``upload``, ``wait`` and ``summary``
    (``shared.local.run``) drive it.

    Args:
        assembly: the stage's assemblies already synthesized (the tests pass the pipeline's
            own); by default the stage is synthesized into ``assembly_cache`` (default
            ``workdir/cdk.out``), unless an earlier run synthesized the same inputs there.
        clock: how much faster than AWS the runtime's waits pass.
        ticking: ``rate(...)`` schedules fire on their own on the local clock.
    """

    def __init__(
        self,
        config: PlatformConfig,
        stage: StageName,
        *,
        workdir: Path,
        progress: Any = lambda line: None,
        assembly: StageAssembly | None = None,
        config_path: str | None = None,
        clock: LocalClock | None = None,
        ticking: bool = False,
        assembly_cache: Path | None = None,
    ) -> None:
        self.stage = stage
        self.config = config
        self.naming = StageNaming.of(config, stage)
        self.settings = config.stages.get(stage)
        self.applications: list[Definition] = stage_definitions(config, stage)
        self.workdir = Path(workdir)
        self.logs_dir = self.workdir / "logs"
        self.progress = progress
        self.clock = clock or LocalClock()
        self.ticking = ticking
        self._assembly = assembly
        self.config_path = config_path
        self.assembly_cache = assembly_cache or self.workdir / "cdk.out"
        self.aws = LocalAws(self.naming, clock=self.clock)
        self.deployed: DeployedStage | None = None
        self.deliveries = DeliveryLog(progress)
        self._parts: list[Any] = []

    @property
    def session(self) -> Any:
        return self.aws.session

    @property
    def coverage(self) -> Coverage:
        assert self.deployed is not None
        return self.deployed.coverage

    def __enter__(self) -> LocalStage:
        if self._assembly is None or self._assembly.has("AWS::Glue::Job"):
            warm_up_spark()
        try:
            self.aws.start()
            self.engine = StepFunctionsEngine(self.clock, self.aws.port).start()
            self._parts.append(self.engine)
            assembly = self._assembly or cached_stage(
                self.stage,
                self.assembly_cache,
                self.workdir / "cdk.out",
                config_path=self.config_path,
            )
            self.deployed = deploy_stage(
                self.session,
                assembly,
                stage=self.stage.value,
                account=self.naming.account,
                region=self.naming.region,
                workdir=self.workdir,
            )
            self._start_runtime()
            self.stage_sample_data()
            self._start_local_services()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start_runtime(self) -> None:
        n, session = self.naming, self.session
        targets = Targets(session)
        self.functions = LocalFunctions(
            session,
            account=n.account,
            region=n.region,
            workdir=self.workdir,
            targets=targets,
            clock=self.clock,
            progress=self.progress,
        ).start()
        self.functions.listeners.append(self.deliveries.record)
        self.function_runs = FunctionRuns(self.logs_dir, self.progress)
        self.functions.listeners.append(self.function_runs.record)
        self._parts.append(self.functions)
        self.bus = LocalEventBridge(
            session,
            self.functions,
            targets,
            account=n.account,
            region=n.region,
            clock=self.clock,
            progress=self.progress,
        ).start()
        self._parts.append(self.bus)
        self.mappings = LocalEventSourceMappings(
            session, self.functions, self.clock, account=n.account, progress=self.progress
        ).start()
        self._parts.append(self.mappings)
        self.schedules = LocalSchedules(
            session, self.bus, self.functions, targets, clock=self.clock, progress=self.progress
        ).start(ticking=self.ticking)
        self._parts.append(self.schedules)
        self.executor = LocalGlueExecutor(
            self.aws, workdir=self.workdir, progress=self.progress, publish=self.bus.publish
        ).start()
        self._parts.append(self.executor)
        self.crawlers = LocalCrawlers(session, self.progress).start()
        self._parts.append(self.crawlers)
        self.state_machines = LocalStateMachines(session, targets, self.progress).start()
        self._parts.append(self.state_machines)
        self.rest_apis = LocalRestApis(
            session, self.functions, account=n.account, region=n.region, progress=self.progress
        ).start()
        self._parts.append(self.rest_apis)

    def _start_local_services(self) -> None:
        """Start the stand-ins of the services the applications call, each with its
        connection in the secret its application reads."""
        self.services: dict[str, Any] = {}
        secrets = self.session.client("secretsmanager")
        names = {
            entry["Name"]
            for page in secrets.get_paginator("list_secrets").paginate()
            for entry in page["SecretList"]
        }
        for application in self.applications:
            for service in application.local_services:
                if service.secret not in names:  # its application is not deployed here
                    continue
                running = load_object(service.start)()
                self._parts.append(running)
                self.services[service.name] = running
                secrets.put_secret_value(
                    SecretId=service.secret, SecretString=json.dumps(dict(running.connection))
                )
                self.progress(f"{service.name} stands in on {running.connection.get('url', '')}")

    def keep_running(self, part: Any) -> None:
        """Stop ``part`` (anything with ``stop()``) with the stage."""
        self._parts.append(part)

    def __exit__(self, *exc: object) -> None:
        # The executor first: a run that finishes publishes its state change to the bus.
        while self._parts:
            self._parts.pop().stop()
        self.aws.stop()

    def upload(self, path: Path, key: str, bucket: str | None = None) -> Upload:
        """Put one file into the input bucket (or ``bucket``), as a user would."""
        bucket = bucket or self.naming.input_bucket
        with path.open("rb") as body:
            put = self.session.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        self.progress(f"uploaded s3://{bucket}/{key} ({path.stat().st_size} bytes)")
        return Upload(key, bucket, key, put.get("VersionId"))

    def stage_sample_data(self) -> None:
        """Put each application's sample data where its job reads by default (in AWS, a
        public data set; here, the same bucket and prefix in the local AWS)."""
        s3 = self.session.client("s3")
        existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}
        for application in self.applications:
            for sample in application.sample_runs:
                bucket, _, prefix = sample.location.removeprefix("s3://").partition("/")
                if bucket not in existing:
                    s3.create_bucket(Bucket=bucket)
                    existing.add(bucket)
                for path in sorted(sample.data.iterdir()):
                    if path.is_file() and path.suffix not in IGNORED_SAMPLE_SUFFIXES:
                        self.upload(path, f"{prefix}{path.name}", bucket=bucket)

    def selected(self, apps: Sequence[str] = ()) -> list[Definition]:
        """The definitions of the named applications (every one when none is named)."""
        return selected(self.applications, apps)

    def input_bucket(self, app: str) -> str:
        """Where an application takes its files (the first bucket its handlers watch).

        Raises:
            PlatformError: when it takes no files.
        """
        [definition] = self.selected([app])
        if not definition.input_buckets:
            raise PlatformError(f"--app {app}: takes no files (no handler watches a bucket)")
        return definition.input_buckets[0]

    def start_sample_runs(self, apps: Sequence[str] = ()) -> list[tuple[str, str]]:
        """Start the runs of each (named) application's sample data; (label, run id) per run."""
        started = []
        glue = self.session.client("glue")
        for application in self.selected(apps):
            for sample in application.sample_runs:
                run = glue.start_job_run(JobName=sample.job_name)
                self.progress(
                    f"started {sample.job_name} {run['JobRunId'][:11]} on {sample.location}"
                )
                started.append((f"{sample.job_name} sample", run["JobRunId"]))
        return started

    def run(self, run_id: str) -> RunRecord | None:
        """A job run of the stage, on Glue or as a function job (``None``: not known)."""
        return self.executor.runs.get(run_id) or self.function_runs.runs.get(run_id)

    def runs(self) -> list[RunRecord]:
        """Every job run so far, Glue's then the function jobs'."""
        return [*self.executor.runs.values(), *self.function_runs.runs.values()]

    def fire_schedules(self) -> list[str]:
        """Fire every schedule of the stage once, now; their names."""
        for name in self.schedules.schedules:
            self.schedules.fire(name)
        return list(self.schedules.schedules)

    def fire_workflows(self, apps: Sequence[str] = ()) -> list[str]:
        """Fire, once, the schedules that start the (named) applications' workflows; the
        names of their state machines."""
        started = []
        for definition in self.selected(apps):
            for workflow in definition.workflows:
                self.schedules.fire(workflow.schedule)
                started.append(workflow.state_machine)
        return started

    def fire_settle_schedules(self, apps: Sequence[str] = ()) -> list[str]:
        """Fire, once, the schedules the (named) applications' functions ship waiting work
        with (a batch's age): what time passing does in AWS; their names."""
        names = [
            name
            for definition in self.selected(apps)
            for function in definition.functions
            for name in function.settle_schedules
            if name in self.schedules.schedules
        ]
        for name in names:
            self.schedules.fire(name)
        return names

    def input_state(self, upload: Upload) -> InputState | None:
        """What the application whose bucket ``upload`` went to says became of it."""
        for definition in self.applications:
            if upload.bucket not in definition.input_buckets:
                continue
            for application in registered():
                if application.name == definition.name:
                    context = application.context(self.config, self.stage)
                    return application.input_state(
                        context, self.session, upload.bucket, upload.key, upload.version_id
                    )
        return None

    def redeliver(self, delivery: Delivery) -> None:
        """Publish the same event again, as at-least-once delivery sometimes does."""
        self.bus.publish(delivery.event)

    def idle(self) -> bool:
        parts = (
            self.bus,
            self.functions,
            self.mappings,
            self.executor,
            self.crawlers,
            self.state_machines,
        )
        return all(part.idle() for part in parts)

    def wait(self, uploads: Sequence[Upload] = (), timeout: float = WAIT_TIMEOUT_SECONDS) -> None:
        """Until nothing is in flight: no event, invocation, queued message or Glue run.

        Raises:
            LocalRunTimeout: when the stage is still busy after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            quiet = quiet + 1 if self.idle() else 0
            if quiet >= QUIET_POLLS:
                return
            time.sleep(WAIT_POLL_SECONDS)
        raise LocalRunTimeout(f"inputs not all processed after {timeout:.0f}s")

    def alerts(self) -> list[str]:
        """Subjects of the notifications the stage's topics have sent."""
        backend = sns_backends[self.naming.account][self.naming.region]
        return [
            sent[2] or "" for topic in backend.topics.values() for sent in topic.sent_notifications
        ]

    def dead_letter_queues(self) -> list[str]:
        """The queues the stage's templates name as dead-letter queues or failure
        destinations."""
        return dead_letters.queues(self.session, self.functions)

    def dead_letters(self) -> int:
        """Messages waiting in the stage's dead-letter queues."""
        return dead_letters.waiting(self.session, self.dead_letter_queues())

    def snapshot(self, root: Path | None = None) -> Path:
        """Write what the stage holds under ``root`` (default: the run's ``workdir``)."""
        assert self.deployed is not None
        buckets = [created.ref for _, created in self.deployed.of_type("AWS::S3::Bucket")]
        return write_snapshot(self.session, root or self.workdir, buckets)
