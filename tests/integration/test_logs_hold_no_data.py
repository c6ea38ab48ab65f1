"""The trigger's and the jobs' logs hold names, counts and reasons, never the contents of an
uploaded object or credentials: a file with marked values, good and bad, leaves no mark in
any log of the local stage, while its rejected row keeps the value in the rejects file."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

GOOD_MARK = "marked-good-value-5e1f"
BAD_MARK = "marked-bad-value-9c2a"


def test_no_log_line_holds_object_contents_or_credentials(local_stage, tmp_path):
    source = tmp_path / "marked.csv"
    source.write_text(
        "id,amount,note\n"
        + "".join(f"{i},{i}.50,{GOOD_MARK}\n" for i in range(1, 6))
        + f"6,{BAD_MARK}\n"  # one field short: rejected, kept with the record as written
    )
    upload = local_stage.upload(source, "marked/marked.csv")
    local_stage.wait([upload])

    s3 = local_stage.session.client("s3")
    listed = s3.list_objects_v2(Bucket=local_stage.naming.output_bucket, Prefix="rejects/marked/")
    [rejects_key] = [item["Key"] for item in listed.get("Contents", [])]
    rejects = s3.get_object(Bucket=local_stage.naming.output_bucket, Key=rejects_key)
    assert BAD_MARK in rejects["Body"].read().decode()

    logs = [path for path in local_stage.logs_dir.rglob("*.log") if path.is_file()]
    assert logs, "the local stage keeps the trigger's and the runs' logs"
    text = "\n".join(path.read_text(errors="replace") for path in logs)
    assert "marked/marked.csv" in text
    for secret in (GOOD_MARK, BAD_MARK, "secret_access_key", "SECRET_ACCESS_KEY"):
        assert secret not in text
