"""The infrastructure app's delivery pipeline: V2, self-mutating, cross-account, gated."""

from __future__ import annotations

import fnmatch
import json

from shared.config import StageName
from shared.deployability.iam_policy import Request, evaluate
from shared.naming import AppName, PipelineNaming, StageNaming
from shared.pipeline import (
    BUILD_RUNTIMES,
    NOT_BUILT_PATHS,
    POST_DEPLOY_TIMEOUT,
    pinned_tool_version,
)


def pipeline_properties(synthesized) -> dict:
    [pipeline] = (
        synthesized.pipeline_template().find_resources("AWS::CodePipeline::Pipeline").values()
    )
    return pipeline["Properties"]


def stage_actions(properties: dict, stage_name: str) -> list[dict]:
    return next(s for s in properties["Stages"] if s["Name"] == stage_name)["Actions"]


def test_pipeline_is_v2_in_the_pipeline_account(infrastructure):
    properties = pipeline_properties(infrastructure)
    assert properties["PipelineType"] == "V2"
    assert properties["Name"] == PipelineNaming(AppName.INFRASTRUCTURE).pipeline
    stack = infrastructure.stack(PipelineNaming(AppName.INFRASTRUCTURE).stack_name)
    assert stack.account == infrastructure.config.accounts.pipeline.account_id


def test_stages_run_source_build_self_mutation_then_dev_then_prod(infrastructure):
    names = [stage["Name"] for stage in pipeline_properties(infrastructure)["Stages"]]
    naming = PipelineNaming(AppName.INFRASTRUCTURE)
    dev, prod = naming.stage_id(StageName.DEV), naming.stage_id(StageName.PROD)
    assert names[:3] == ["Source", "Build", "UpdatePipeline"]
    assert names.index(dev) < names.index(prod) == len(names) - 1


def test_source_is_github_through_codeconnections_on_push(infrastructure):
    source = infrastructure.config.source
    [action] = stage_actions(pipeline_properties(infrastructure), "Source")
    assert action["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert action["Configuration"] == {
        "ConnectionArn": source.connection_arn,
        "FullRepositoryId": source.repositories.infrastructure,
        "BranchName": source.branch,
        # one repository for both apps: the filtered push trigger alone starts the pipeline
        "DetectChanges": not source.single_repository,
    }


def test_push_trigger_skips_only_the_other_apps_folder_and_the_docs(infrastructure):
    [trigger] = pipeline_properties(infrastructure)["Triggers"]
    [push] = trigger["GitConfiguration"]["Push"]
    assert push["Branches"]["Includes"] == [infrastructure.config.source.branch]
    assert push["FilePaths"]["Includes"] == ["**"]
    excluded = push["FilePaths"]["Excludes"]
    assert excluded == [f"{AppName.APPLICATIONS.folder}/**", *NOT_BUILT_PATHS]
    built = [
        "tests/unit/test_config.py",
        "scripts/check-prerequisites.sh",
        ".ci/run",
        ".cfnlintrc.yaml",
        ".checkov.yaml",
        "shared/naming.py",
        "infrastructure_repo/app.py",
    ]
    assert not [path for path in built if any(fnmatch.fnmatch(path, p) for p in excluded)]


def test_the_source_role_may_use_the_connection_under_its_own_prefix(infrastructure):
    connection = infrastructure.config.source.connection_arn
    prefix = connection.split(":")[2]
    template = infrastructure.stack(PipelineNaming(AppName.INFRASTRUCTURE).stack_name).template
    documents = [
        r["Properties"]["PolicyDocument"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and "Source" in json.dumps(r["Properties"]["Roles"])
    ]
    assert evaluate(documents, Request(f"{prefix}:UseConnection", connection)).allowed


def test_post_deploy_tests_outlast_codebuilds_default_and_tools_are_pinned(infrastructure):
    template = infrastructure.stack(PipelineNaming(AppName.INFRASTRUCTURE).stack_name).template
    projects = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CodeBuild::Project"
    ]
    post_deploy = [p for p in projects if "post-deploy-test" in json.dumps(p)]
    assert post_deploy and all(
        p["TimeoutInMinutes"] == POST_DEPLOY_TIMEOUT.to_minutes() for p in post_deploy
    )
    self_mutation = [p for p in projects if "deploy GlueInfrastructurePipeline" in json.dumps(p)]
    assert self_mutation and f"aws-cdk@{pinned_tool_version('aws-cdk')}" in json.dumps(
        self_mutation
    )
    assets = infrastructure.outdir.glob("buildspec-*.yaml")
    assert all(f"cdk-assets@{pinned_tool_version('cdk-assets')}" in f.read_text() for f in assets)
    assert BUILD_RUNTIMES["nodejs"] == "22"


def test_build_installs_from_lock_files_tests_and_synthesizes(infrastructure):
    template = infrastructure.pipeline_template()
    projects = template.find_resources("AWS::CodeBuild::Project")
    build_specs = [p["Properties"]["Source"]["BuildSpec"] for p in projects.values()]
    [build] = [spec for spec in build_specs if "make test" in spec]
    assert "make setup" in build
    assert build.index("make test") < build.index("make synth APP=infrastructure")
    assert '"java": "corretto17"' in build


def test_approval_stands_before_prod_and_not_before_dev(infrastructure):
    properties = pipeline_properties(infrastructure)
    naming = PipelineNaming(AppName.INFRASTRUCTURE)
    dev_actions = stage_actions(properties, naming.stage_id(StageName.DEV))
    assert not [a for a in dev_actions if a["ActionTypeId"]["Provider"] == "Manual"]

    prod_actions = stage_actions(properties, naming.stage_id(StageName.PROD))
    [approval] = [a for a in prod_actions if a["ActionTypeId"]["Provider"] == "Manual"]
    assert approval["Name"] == "Approve-Prod"
    assert "Promote the infrastructure app to prod" in approval["Configuration"]["CustomData"]
    deploys = [a for a in prod_actions if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert deploys and all(a["RunOrder"] > approval["RunOrder"] for a in deploys)


def test_each_stage_ends_with_post_deploy_tests_as_the_stage_test_role(infrastructure):
    properties = pipeline_properties(infrastructure)
    naming = PipelineNaming(AppName.INFRASTRUCTURE)
    template = infrastructure.pipeline_template()
    for stage in StageName:
        actions = stage_actions(properties, naming.stage_id(stage))
        last = max(actions, key=lambda a: a["RunOrder"])
        assert last["Name"] == f"PostDeployTests-{stage.value.capitalize()}"
        stage_naming = StageNaming.of(infrastructure.config, stage)
        test_role_arn = stage_naming.role_arn(stage_naming.test_role)
        template.has_resource_properties(
            "AWS::CodeBuild::Project",
            {
                "Environment": {
                    "EnvironmentVariables": [
                        {"Name": "GDP_TEST_ROLE_ARN", "Type": "PLAINTEXT", "Value": test_role_arn}
                    ]
                }
            },
        )
    runner_policies = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if any(
            s["Action"] == "sts:AssumeRole" and "GlueTestRole" in str(s["Resource"])
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        )
    ]
    assert len(runner_policies) == 1


def test_cross_account_keys_rotate(infrastructure):
    keys = infrastructure.pipeline_template().find_resources("AWS::KMS::Key")
    assert len(keys) == 2
    assert all(k["Properties"]["EnableKeyRotation"] for k in keys.values())


def test_failures_and_approvals_notify_an_encrypted_topic(infrastructure):
    template = infrastructure.pipeline_template()
    [topic] = template.find_resources("AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" in topic["Properties"]
    [rule] = template.find_resources("AWS::CodeStarNotifications::NotificationRule").values()
    events = rule["Properties"]["EventTypeIds"]
    assert "codepipeline-pipeline-pipeline-execution-failed" in events
    assert "codepipeline-pipeline-manual-approval-needed" in events
    [policy] = template.find_resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in str(s) for s in statements)


def test_artifact_bucket_logs_its_access(infrastructure):
    template = infrastructure.pipeline_template()
    buckets = template.find_resources("AWS::S3::Bucket")
    logged = [b for b in buckets.values() if "LoggingConfiguration" in b["Properties"]]
    assert len(logged) == 1
