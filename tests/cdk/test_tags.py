"""Every taggable resource of every synthesized template carries the spec's four tags."""

from __future__ import annotations

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from shared.naming import PIPELINE_ENVIRONMENT_TAG

TAG_KEYS = ("Environment", "Project", "Owner", "CostCenter")


def is_taggable(resource_type: str, region: str) -> bool:
    if not resource_type.startswith("AWS::"):
        return False
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, resource_type).schema
    return bool(schema.get("tagging", {}).get("taggable"))


def tags_of(properties: dict) -> dict[str, str]:
    tags = properties.get("Tags", {})
    if isinstance(tags, list):
        return {tag["Key"]: tag["Value"] for tag in tags}
    return dict(tags)


def test_every_taggable_resource_is_tagged(every_app):
    project = every_app.config.project
    checked = 0
    for stack in every_app.stacks:
        stage = stack.construct_path.split("/")[1] if "/" in stack.construct_path else None
        environment = stage.removeprefix("Deploy-").lower() if stage else PIPELINE_ENVIRONMENT_TAG
        for logical_id, resource in stack.template["Resources"].items():
            if not is_taggable(resource["Type"], stack.region):
                continue
            checked += 1
            tags = tags_of(resource.get("Properties", {}))
            assert {key: tags.get(key) for key in TAG_KEYS} == {
                "Environment": environment,
                "Project": project.name,
                "Owner": project.owner,
                "CostCenter": project.cost_center,
            }, f"{stack.stack_name}/{logical_id} ({resource['Type']})"
    assert checked > 10
