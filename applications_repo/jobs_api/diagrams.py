"""jobs-api's three diagrams (spec 001: the architecture, the data flow in seven steps, the
deployment), drawn from its names, its definition, its committed OpenAPI document and the
synthesized stacks. ``data_flow`` and ``deployed_stacks`` are plain data (tested); ``draw``
hands them to the ``diagrams`` package, which needs Graphviz's ``dot``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from applications_repo.jobs_api.definition import definition
from applications_repo.jobs_api.names import JobsApiNames
from applications_repo.jobs_api.stack_api import operations
from shared.assembly import SynthesizedStack
from shared.config import StageName
from shared.diagrams import GRAPH
from shared.naming import AppName, PipelineNaming, StageNaming
from shared.registry import AppContext


@dataclass(frozen=True)
class Step:
    """One numbered step of the data flow: from what, to what, doing what."""

    number: int
    source: str
    target: str
    does: str


def data_flow(names: JobsApiNames) -> list[Step]:
    """Spec 001's seven steps, from upload to download, with this stage's names."""
    return [
        Step(1, "web UI", names.rest_api, "POST /upload: a job and a pre-signed POST"),
        Step(2, "web UI", names.input_bucket, "the Parquet file (pre-signed POST)"),
        Step(3, names.input_bucket, names.jobs_table, f"{names.uploads_function}: UPLOADED"),
        Step(4, names.rest_api, names.job, "POST /trigger-job: the conversion starts"),
        Step(5, names.job, names.output_bucket, "JSON Lines; the job SUCCEEDED"),
        Step(6, "web UI", names.rest_api, "GET /job-status, GET /download (pre-signed GET)"),
        Step(7, names.api_function, names.access_log_group, "every request and run logged"),
    ]


def deployed_stacks(
    context: AppContext, stacks: Sequence[SynthesizedStack]
) -> dict[StageName, list[str]]:
    """The stacks of jobs-api each stage's deployment holds, from the synthesized assembly."""
    naming = PipelineNaming(AppName.APPLICATIONS)
    found: dict[StageName, list[str]] = {}
    for stage in StageName:
        wanted = StageNaming.of(context.config, stage).application_stack("jobs-api")
        marker = f"/{naming.stage_id(stage)}/"
        found[stage] = [
            s.stack_name
            for s in stacks
            if s.stack_name == wanted and marker in f"{s.construct_path}/"
        ]
    return found


def draw(context: AppContext, stacks: Sequence[SynthesizedStack], directory: Path) -> list[Path]:
    """architecture.png, data-flow.png and deployment.png into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    names = JobsApiNames(context.naming)
    paths = [directory / f"{n}.png" for n in ("architecture", "data-flow", "deployment")]
    _architecture(context, names, paths[0])
    _data_flow(names, paths[1])
    _deployment(context, deployed_stacks(context, stacks), paths[2])
    return paths


def _architecture(context: AppContext, names: JobsApiNames, out: Path) -> None:
    from diagrams import Cluster, Diagram, Edge  # noqa: PLC0415
    from diagrams.aws.analytics import Glue  # noqa: PLC0415
    from diagrams.aws.compute import Lambda  # noqa: PLC0415
    from diagrams.aws.database import Dynamodb  # noqa: PLC0415
    from diagrams.aws.management import Cloudwatch  # noqa: PLC0415
    from diagrams.aws.network import APIGateway  # noqa: PLC0415
    from diagrams.aws.storage import SimpleStorageServiceS3Bucket as Bucket  # noqa: PLC0415
    from diagrams.programming.framework import React  # noqa: PLC0415

    what = definition(context.naming, context.app)
    routes = "\n".join(f"{verb} {path}" for path, verb in operations())
    with Diagram(
        "jobs-api: architecture",
        filename=str(out.with_suffix("")),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=GRAPH,
    ):
        ui = React("web UI\n(React, Vite)")
        with Cluster(f"{context.stage} account {context.naming.account}"):
            api = APIGateway(f"{names.rest_api}\n{routes}")
            function = Lambda(names.api_function)
            uploads = Lambda(names.uploads_function)
            sweeper = Lambda(names.sweeper)
            [single_node] = [Lambda(job.function_name) for job in what.function_jobs]
            [glue] = [Glue(job.name) for job in what.jobs]
            inputs, outputs = Bucket(names.input_bucket), Bucket(names.output_bucket)
            table, keys = Dynamodb(names.jobs_table), Dynamodb(names.idempotency_table)
            logs = Cloudwatch(f"{names.access_log_group}\nlogs, metrics, alarms")
        ui >> Edge(label="REST") >> api >> function
        ui >> Edge(label="pre-signed POST / GET") >> inputs
        function >> [table, keys]
        inputs >> Edge(label="Object Created") >> uploads >> table
        function >> Edge(label="small files") >> single_node
        function >> Edge(label="large files") >> glue
        sweeper >> Edge(style="dashed", label="waiting, stuck") >> [single_node, glue]
        for converter in (single_node, glue):
            inputs >> converter >> outputs
            converter >> table
        outputs >> Edge(style="dashed", label="pre-signed GET") >> ui
        api >> Edge(style="dashed") >> logs


def _data_flow(names: JobsApiNames, out: Path) -> None:
    from diagrams import Diagram, Edge, Node  # noqa: PLC0415

    with Diagram(
        "jobs-api: from upload to download",
        filename=str(out.with_suffix("")),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=GRAPH,
    ):
        nodes: dict[str, Node] = {}
        for step in data_flow(names):
            for label in (step.source, step.target):
                nodes.setdefault(label, Node(label, shape="box", style="rounded", height="0.8"))
            nodes[step.source] >> Edge(label=f"{step.number}. {step.does}") >> nodes[step.target]


def _deployment(context: AppContext, stacks: dict[StageName, list[str]], out: Path) -> None:
    from diagrams import Cluster, Diagram, Edge  # noqa: PLC0415
    from diagrams.aws.devtools import Codepipeline  # noqa: PLC0415
    from diagrams.aws.management import Cloudformation, Cloudwatch  # noqa: PLC0415
    from diagrams.aws.security import IAMRole  # noqa: PLC0415
    from diagrams.onprem.client import Client  # noqa: PLC0415

    pipeline = PipelineNaming(AppName.APPLICATIONS)
    with Diagram(
        "jobs-api: deployment",
        filename=str(out.with_suffix("")),
        outformat="png",
        show=False,
        direction="LR",
        graph_attr=GRAPH,
    ):
        with Cluster("laptop"):
            laptop = Client("make ui: the web UI and the local API\n(moto, local Spark)")
            cdk = Client("CDK app (Python)\ncdk-nag, cfn-lint, checkov")
        with Cluster(f"pipeline account {context.config.accounts.pipeline.account_id}"):
            deliver = Codepipeline(pipeline.pipeline)
        laptop >> Edge(style="dashed", label="the same templates") >> cdk
        cdk >> Edge(label="git push") >> deliver
        for stage, stage_stacks in stacks.items():
            naming = StageNaming.of(context.config, stage)
            stage_names = JobsApiNames(naming)
            with Cluster(f"{stage} account {naming.account}"):
                deployed = [Cloudformation(s) for s in stage_stacks]
                roles = IAMRole("\n".join((stage_names.api_role, stage_names.uploads_role, "...")))
                watch = Cloudwatch(f"{stage_names.access_log_group}\nalarms, dashboard")
            deliver >> Edge(label=pipeline.stage_id(stage)) >> deployed
            for stack in deployed:
                stack >> [roles, watch]
