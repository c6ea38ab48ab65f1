"""checkov finds no failed check in either cloud assembly (skips: .checkov.yaml)."""

from __future__ import annotations

from pathlib import Path

from shared.template_lint import run_checkov


def test_checkov_passes(every_app):
    result = run_checkov(every_app.outdir)
    assert result.failed == []
    assert result.passed > 100


def test_checkov_reports_a_failed_check(tmp_path: Path):
    (tmp_path / "open.template.json").write_text(
        '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},'
        ' "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"KeySchema": '
        '[{"AttributeName": "id", "KeyType": "HASH"}], "AttributeDefinitions": '
        '[{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}}}}'
    )
    result = run_checkov(tmp_path)
    assert any(failed.startswith("CKV_AWS_28 ") for failed in result.failed)
