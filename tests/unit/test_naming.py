"""Names follow the spec's conventions (the one place their literal form is written down)."""

from __future__ import annotations

from applications_repo.file_processor.names import FileProcessorNames
from applications_repo.legislators.names import LegislatorsNames
from shared.config import StageName, load_config
from shared.naming import AppName, Concern, PipelineNaming, StageNaming, partition


def test_stage_names_follow_the_spec():
    config = load_config(environ={})
    dev = StageNaming.of(config, StageName.DEV)
    assert dev.input_bucket == "glue-input-dev-222222222222"
    assert dev.output_bucket == "glue-output-dev-222222222222"
    assert dev.assets_bucket == "glue-assets-v2-dev-222222222222"
    assert dev.database == "glue_database_v2_dev"
    assert FileProcessorNames(dev).job == "FileProcessorV2-dev"
    assert LegislatorsNames(dev).job == "ProcessLegislators-dev"
    assert FileProcessorNames(dev).trigger_function == "GlueTriggerLambda-dev"
    assert FileProcessorNames(dev).trigger_log_group == "/aws/lambda/GlueTriggerLambda-dev"
    assert dev.glue_service_role == "GlueServiceRole-dev"
    assert dev.test_role == "GlueTestRole-dev"
    prod = StageNaming.of(config, "prod")
    assert prod.input_bucket == "glue-input-prod-333333333333"
    assert prod.role_arn(prod.test_role) == "arn:aws:iam::333333333333:role/GlueTestRole-prod"
    assert prod.glue_job_arn(FileProcessorNames(prod).job) == (
        "arn:aws:glue:us-east-1:333333333333:job/FileProcessorV2-prod"
    )


def test_stack_and_pipeline_names():
    config = load_config(environ={})
    dev = StageNaming.of(config, StageName.DEV)
    assert (
        dev.stack_name(AppName.INFRASTRUCTURE, Concern.STORAGE) == "glue-infrastructure-storage-dev"
    )
    naming = PipelineNaming(AppName.APPLICATIONS)
    assert naming.pipeline == "glue-applications-pipeline"
    assert naming.stack_id == "GlueApplicationsPipeline"
    assert naming.stage_id(StageName.PROD) == "Deploy-Prod"
    assert AppName.APPLICATIONS.folder == "applications_repo"


def test_arn_partitions_follow_the_region():
    assert partition("eu-west-1") == "aws"
    assert partition("cn-north-1") == "aws-cn"
    assert partition("us-gov-west-1") == "aws-us-gov"
