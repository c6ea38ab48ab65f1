"""cdk-nag and cfn-lint gate every synth: clean on our apps, and they do fail on a violation."""

from __future__ import annotations

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_s3 as s3

from shared.compliance import acknowledge, enable_nag
from shared.synthesis import VALIDATION_REPORT, nag_violations
from shared.template_lint import lint_templates


def violated_rules(outdir) -> set[str]:
    return {line.split()[0] for line in nag_violations(outdir / VALIDATION_REPORT)}


def test_cfn_lint_finds_nothing_in_the_templates(every_app):
    findings = lint_templates([stack.template_file for stack in every_app.stacks])
    assert [str(f) for f in findings] == []


def test_cfn_lint_reports_a_broken_template(tmp_path):
    broken = tmp_path / "broken.template.json"
    broken.write_text(
        '{"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", '
        '"Properties": {"VersioningConfiguration": {"Status": "Sometimes"}}}}}'
    )
    [finding] = lint_templates([broken])
    assert finding.level == "Error" and "Sometimes" in finding.message


def test_nag_fails_the_synth_of_an_unacknowledged_finding(tmp_path):
    # GIVEN an app with the platform's nag gate and a bucket with no logging and no TLS policy
    app = App(outdir=str(tmp_path))
    s3.Bucket(Stack(app, "Careless"), "Bucket")
    enable_nag(app)
    # WHEN it is synthesized  THEN the synth fails and the report names the rules
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    rules = violated_rules(tmp_path)
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


def test_an_acknowledgment_silences_only_its_own_rule(tmp_path):
    app = App(outdir=str(tmp_path))
    bucket = s3.Bucket(Stack(app, "Careless"), "Bucket")
    acknowledge(bucket, "S1", "A test bucket that exists only inside this unit test.")
    enable_nag(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    rules = violated_rules(tmp_path)
    assert "AwsSolutions-S1" not in rules and "AwsSolutions-S10" in rules


def test_acknowledgments_need_a_real_reason():
    stack = Stack(App(), "Any")
    with pytest.raises(ValueError, match="needs a specific reason"):
        acknowledge(stack, "S1", "ok")
