"""The architecture diagrams of docs/diagrams/, drawn from the code (``make diagrams``).

The deployment diagram reads the synthesized cloud assemblies: each pipeline's stages and
approval actions from its CodePipeline resource, each stage account's stacks from the stage
assemblies. The data-flow diagram takes every name from the naming module, which the stacks
and the local run use too. Layouts are plain data (tested); ``draw_*`` hands them to the
``diagrams`` package, which needs Graphviz's ``dot``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from shared.application import FUNCTION_JOB_PYTHON
from shared.assembly import SynthesizedStack
from shared.config import PlatformConfig, StageName
from shared.naming import AppName, PipelineNaming, StageNaming
from shared.registry import definitions, registered

PIPELINE_TYPE = "AWS::CodePipeline::Pipeline"
APPROVAL = "Approval"
GRAPH = {"fontsize": "20", "pad": "1.0", "nodesep": "0.6", "ranksep": "1.3"}


@dataclass(frozen=True)
class PipelineLayout:
    """One pipeline: its stages in order, and which of them wait for an approval."""

    app: AppName
    name: str
    repository: str
    stages: list[str]
    approvals: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountLayout:
    """One stage account and the stacks each app deploys into it."""

    stage: StageName
    account: str
    region: str
    stacks: dict[AppName, list[str]]


@dataclass(frozen=True)
class DeploymentLayout:
    """The pipeline account's pipelines and the stage accounts they deploy to."""

    pipeline_account: str
    pipelines: list[PipelineLayout]
    accounts: list[AccountLayout]


def deployment_layout(
    config: PlatformConfig, stacks: dict[AppName, Sequence[SynthesizedStack]]
) -> DeploymentLayout:
    """What the synthesized assemblies deploy, arranged by account."""
    pipelines = []
    accounts = {
        stage: AccountLayout(
            stage,
            config.accounts.for_stage(stage).account_id,
            config.accounts.for_stage(stage).region,
            {},
        )
        for stage in StageName
    }
    for app, app_stacks in stacks.items():
        naming = PipelineNaming(app)
        pipeline_stack = next(s for s in app_stacks if s.stack_name == naming.stack_name)
        [pipeline] = [
            r for r in pipeline_stack.template["Resources"].values() if r["Type"] == PIPELINE_TYPE
        ]
        stages = pipeline["Properties"]["Stages"]
        pipelines.append(
            PipelineLayout(
                app=app,
                name=naming.pipeline,
                repository=getattr(config.source.repositories, app.value),
                stages=[s["Name"] for s in stages],
                approvals={
                    s["Name"]: action["Name"]
                    for s in stages
                    for action in s["Actions"]
                    if action["ActionTypeId"]["Category"] == APPROVAL
                },
            )
        )
        for stage in StageName:
            marker = f"/{naming.stage_id(stage)}/"
            accounts[stage].stacks[app] = [
                s.stack_name for s in app_stacks if marker in f"{s.construct_path}/"
            ]
    return DeploymentLayout(config.accounts.pipeline.account_id, pipelines, list(accounts.values()))


def draw_deployment(layout: DeploymentLayout, out: Path) -> None:
    """docs/diagrams/deployment.png: GitHub -> pipelines -> stage accounts."""
    from diagrams import Cluster, Diagram, Edge  # noqa: PLC0415
    from diagrams.aws.devtools import Codepipeline  # noqa: PLC0415
    from diagrams.aws.management import Cloudformation  # noqa: PLC0415
    from diagrams.aws.security import IAMRole  # noqa: PLC0415
    from diagrams.onprem.vcs import Github  # noqa: PLC0415

    with Diagram(
        "Accounts, pipelines and what each stage deploys",
        filename=str(out.with_suffix("")),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=GRAPH,
    ):
        stage_nodes: dict[tuple[AppName, StageName], list] = {}
        with Cluster(f"pipeline account {layout.pipeline_account}"):
            pipeline_nodes = {}
            for pipeline in layout.pipelines:
                with Cluster(pipeline.name):
                    nodes = [
                        Codepipeline(
                            stage
                            + (
                                f"\n(after {pipeline.approvals[stage]})"
                                if stage in pipeline.approvals
                                else ""
                            )
                        )
                        for stage in pipeline.stages
                    ]
                    for before, after in pairwise(nodes):
                        before >> after
                    pipeline_nodes[pipeline.app] = dict(zip(pipeline.stages, nodes, strict=True))
        repositories = {p.repository for p in layout.pipelines}
        sources = {repository: Github(repository) for repository in sorted(repositories)}
        for pipeline in layout.pipelines:
            (
                sources[pipeline.repository]
                >> Edge(label="git push")
                >> pipeline_nodes[pipeline.app][pipeline.stages[0]]
            )
        for account in layout.accounts:
            with Cluster(f"{account.stage} account {account.account} ({account.region})"):
                role = IAMRole("CDK bootstrap roles\n(--trust pipeline account)")
                for app, names in account.stacks.items():
                    with Cluster(f"{app.value} app"):
                        stage_nodes[app, account.stage] = [Cloudformation(n) for n in names]
                for app in account.stacks:
                    role >> stage_nodes[app, account.stage]
            for pipeline in layout.pipelines:
                deploy = pipeline_nodes[pipeline.app][
                    PipelineNaming(pipeline.app).stage_id(account.stage)
                ]
                deploy >> Edge(style="dashed", label="assume") >> role


def draw_data_flow(config: PlatformConfig, stage: StageName, out: Path) -> None:
    """docs/diagrams/data-flow.png: how data moves through a stage, drawn from each registered
    application's definition (its buckets, functions, queues, tables and jobs) and the
    platform's monitoring."""
    from diagrams import Cluster, Diagram, Edge  # noqa: PLC0415
    from diagrams.aws.analytics import Glue, GlueDataCatalog  # noqa: PLC0415
    from diagrams.aws.compute import Lambda  # noqa: PLC0415
    from diagrams.aws.database import Dynamodb  # noqa: PLC0415
    from diagrams.aws.general import User  # noqa: PLC0415
    from diagrams.aws.integration import SNS, SQS, Eventbridge  # noqa: PLC0415
    from diagrams.aws.management import Cloudwatch  # noqa: PLC0415
    from diagrams.aws.storage import SimpleStorageServiceS3Bucket as Bucket  # noqa: PLC0415

    n = StageNaming.of(config, stage)
    glue_version = config.stages.get(stage).glue.version
    with Diagram(
        f"Data through the {stage} stage",
        filename=str(out.with_suffix("")),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=GRAPH,
    ):
        with Cluster(f"{stage} account {n.account}"):
            output = Bucket(n.output_bucket)
            catalog = GlueDataCatalog(n.database)
            state = Eventbridge(f"{n.job_state_rule}\nJob State Change")
            monitor = Lambda(n.monitor_function)
            metrics = Cloudwatch(f"metrics, alarms\n{n.dashboard}")
            alerts = SNS(n.alerts_topic)
            for definition in definitions(config, stage):
                with Cluster(definition.name):
                    jobs = [Glue(f"{job.name}\n(Glue {glue_version})") for job in definition.jobs]
                    function_jobs = [
                        (Lambda(f"{job.function_name}\n(Python {FUNCTION_JOB_PYTHON})"), job)
                        for job in definition.function_jobs
                    ]
                    for handler in definition.handlers:
                        uploads = User(f"uploads to {handler.bucket}")
                        function = Lambda(handler.function_name)
                        (
                            uploads
                            >> Bucket(handler.bucket)
                            >> Eventbridge("Object Created")
                            >> function
                        )
                        function >> Edge(label="seen?") >> Dynamodb(handler.idempotency_table)
                        dead_letters = SQS(handler.dead_letter_queue)
                        function >> Edge(style="dashed", label="after retries") >> dead_letters
                        for job in jobs:
                            function >> Edge(label="StartJobRun") >> job
                        for runner, _ in function_jobs:
                            function >> Edge(label="Invoke (Event)") >> runner
                    for queue_handler in definition.queue_handlers:
                        uploads = User(f"uploads to {queue_handler.bucket}")
                        function = Lambda(queue_handler.function_name)
                        (
                            uploads
                            >> Bucket(queue_handler.bucket)
                            >> Eventbridge("Object Created")
                            >> SQS(queue_handler.queue)
                            >> Edge(label="batches")
                            >> function
                        )
                        dead_letters = SQS(queue_handler.dead_letter_queue)
                        function >> Edge(style="dashed", label="after receives") >> dead_letters
                    for own_function in definition.functions:
                        (
                            Lambda(own_function.function_name)
                            >> Edge(style="dashed", label="failed schedules")
                            >> SQS(own_function.dead_letter_queue)
                        )
                    for job in jobs:
                        job >> output
                        job >> Edge(label="tables, partitions") >> catalog
                        job >> Edge(style="dashed") >> state
                    for runner, job in function_jobs:
                        runner >> output
                        runner >> Edge(label="tables, partitions") >> catalog
                        failed = SQS(job.dead_letter_queue)
                        runner >> Edge(style="dashed", label="after retries") >> failed
        state >> monitor >> metrics >> alerts


def draw_all(
    config: PlatformConfig, stacks: dict[AppName, Sequence[SynthesizedStack]], directory: Path
) -> list[Path]:
    """The platform's two diagrams into ``directory``, and each application's own under
    ``directory/<application>/``; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    deployment, data_flow = directory / "deployment.png", directory / "data-flow.png"
    draw_deployment(deployment_layout(config, stacks), deployment)
    draw_data_flow(config, StageName.DEV, data_flow)
    drawn = [deployment, data_flow]
    for app in registered():
        context = app.context(config, StageName.DEV)
        drawn += app.diagrams(context, stacks[AppName.APPLICATIONS], directory / app.name)
    return drawn
