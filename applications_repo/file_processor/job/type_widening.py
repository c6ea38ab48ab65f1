"""Types that hold for the whole file, not just its sample.

The sample (the first MiB, up to 10,000 rows) guesses each column's type. When the file is
longer, one streaming pass over it checks every value against the guess; a column with
values that do not fit is given the narrowest type that fits them and the sample's values
(integer -> decimal -> double -> string, date -> string, ...): inference only widens, so every
value that fitted before still fits. No row is then rejected for a type the sample got
wrong (the dataset's table is checked after, by ``schema_policy``). Both engines get
the widened plan, so they agree by construction; memory stays that of one block.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv

from applications_repo.file_processor.job.column_plan import PlannedColumn
from applications_repo.file_processor.job.csv_blocks import ARROW_ENCODINGS
from applications_repo.file_processor.job.csv_sample import CsvSample
from applications_repo.file_processor.job.type_inference import STRING, Kind, infer_type
from applications_repo.file_processor.job.value_checks import misfits

MAX_EVIDENCE = 10_000
"""Distinct misfitting values a column may show before it is taken for text."""


def widened_columns(
    stream: BinaryIO,
    sample: CsvSample,
    columns: Sequence[PlannedColumn],
    block_bytes: int,
) -> list[PlannedColumn]:
    """``columns`` with each type widened to fit every value of the file. Records with the
    wrong number of fields are not evidence."""
    planned = list(columns)
    open_columns = [c for c in planned if c.type.kind is not Kind.STRING]
    if sample.every_row or not open_columns:
        return planned
    evidence = {
        c.index: [row[c.index] for row in sample.rows if len(row) == len(sample.header)]
        for c in open_columns
    }
    reader = pacsv.open_csv(
        pa.PythonFile(stream, mode="r"),
        read_options=pacsv.ReadOptions(
            column_names=[c.field for c in planned],
            skip_rows=sample.header_lines,
            block_size=block_bytes,
            encoding=ARROW_ENCODINGS[sample.encoding],
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=sample.delimiter,
            newlines_in_values=True,
            invalid_row_handler=lambda row: "skip",
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c.field: pa.string() for c in open_columns},
            # only the typed columns are materialised: text columns cannot widen
            include_columns=[c.field for c in open_columns],
            null_values=[""],
            strings_can_be_null=True,
        ),
    )
    by_index = {c.index: c for c in planned}
    misfit_counts = dict.fromkeys(evidence, 0)
    for batch in reader:
        for index in list(evidence):
            raw = batch.column(by_index[index].field)
            while found := misfits(by_index[index].type, raw):
                misfit_counts[index] += len(found)
                evidence[index] += found
                current = by_index[index].type
                wider = infer_type(evidence[index])
                if wider == current or misfit_counts[index] > MAX_EVIDENCE:
                    # past this many distinct misfits (or a rule inference cannot meet) the
                    # column is text: everything fits it
                    wider = STRING
                by_index[index] = replace(by_index[index], type=wider)
                if wider.kind is Kind.STRING:
                    del evidence[index]
                    break
    return [by_index[c.index] for c in planned]
