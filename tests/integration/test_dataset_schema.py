"""In the deployed stage a dataset keeps one schema: a later file that fits the table is
written in its types, one that does not is rejected whole, with its reason, and kept in the
quarantine."""

from __future__ import annotations

import pytest

from shared.local.run import summary

pytestmark = pytest.mark.integration


def test_a_dataset_takes_a_fitting_file_and_rejects_an_incompatible_one(local_stage, tmp_path):
    files = {
        "first.csv": "id,amount\n1,10\n2,12\n",
        "fitting.csv": "id,amount,note\n3,11,ok\n",
        "incompatible.csv": "id,amount\n4,lots\n",
    }
    rows = {}
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text)
        upload = local_stage.upload(path, f"ledger/{name}")
        local_stage.wait()
        [rows[name]] = summary(local_stage, [upload], [])
    assert [rows[n].state for n in files] == ["SUCCEEDED", "SUCCEEDED", "REJECTED"]
    assert rows["fitting.csv"].rows_written == 1
    assert (
        "does not fit dataset ledger: amount is bigint in the table"
        in rows["incompatible.csv"].note
    )
    assert "quarantine/ledger/incompatible.csv" in rows["incompatible.csv"].note
    glue = local_stage.session.client("glue")
    table = glue.get_table(DatabaseName=local_stage.naming.database, Name="ledger")["Table"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert (columns["amount"], columns["note"]) == ("bigint", "string")
