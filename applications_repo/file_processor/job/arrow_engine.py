"""The single-node engine of FileProcessorV2: Apache Arrow, streaming, on one machine.

Small and medium files need no cluster: this engine reads the CSV in blocks (pyarrow's
streaming reader, blocks parsed on every core), checks and converts each block (value_checks,
as the Spark engine does), and writes the good rows to one snappy Parquet file as it goes, so
memory stays flat whatever the file's size. Records with the wrong number of fields come back
from the reader with their number only when it reads one block at a time: a file with any is
read again that way. Records with a value that does not fit are located afterwards
(record_locator), only when there are any.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from applications_repo.file_processor.job.column_names import (
    METADATA_COLUMNS,
    PROCESSED_AT,
    PROCESSING_JOB,
    SOURCE_FILE,
)
from applications_repo.file_processor.job.column_plan import METADATA_TYPES, PlannedColumn
from applications_repo.file_processor.job.csv_blocks import ARROW_ENCODINGS, MIB, growing_blocks
from applications_repo.file_processor.job.record_locator import RecordPosition, locate_records
from applications_repo.file_processor.job.staging import (
    MAX_REJECTED_ROWS,
    LateMisfitError,
    Reject,
    Staged,
    StageRequest,
    in_file_order,
    too_many_rejects,
)
from applications_repo.file_processor.job.type_inference import Kind
from applications_repo.file_processor.job.value_checks import CheckedBatch, arrow_type, check_batch
from shared.glue.storage import Storage

CHECKERS = 2
"""Blocks checked at once (Arrow's kernels release the GIL; more blocks in flight only hold
more memory on the two cores of a Glue driver or a Lambda function of 3.5 GB)."""
ROW_GROUP_BYTES = 32 * MIB
DICTIONARY_KINDS = frozenset({Kind.STRING, Kind.DATE})
STAGED_FILE = "part-00000.snappy.parquet"
MEMORY_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def output_schema(columns: Sequence[PlannedColumn]) -> pa.Schema:
    """The written schema: the source columns (header name as field metadata) and the
    metadata columns."""
    return pa.schema(
        [
            pa.field(
                c.name,
                arrow_type(c.type),
                metadata={b"comment": c.raw_name.encode(), b"source_name": c.raw_name.encode()},
            )
            for c in columns
        ]
        + [pa.field(name, arrow_type(kind)) for name, kind in METADATA_TYPES.items()]
    )


class ArrowEngine:
    """FileProcessorV2 on one machine, with pyarrow.

    Three stages overlap on their own threads (Arrow releases the GIL): the reader parses
    the next blocks (on Arrow's threads) while the last ones are checked (CHECKERS at a
    time), and the previous row group is written.
    """

    name = "arrow"
    stops_at_misfit = True

    def stage(self, storage: Storage, request: StageRequest) -> Staged:
        use_jemalloc()

        def read(block_bytes: int) -> Staged:
            try:
                return self._stage(storage, request, block_bytes, numbered=False)
            except _UnnumberedRecordError:
                return self._stage(storage, request, block_bytes, numbered=True)

        return growing_blocks(read)

    def _stage(
        self, storage: Storage, request: StageRequest, block_bytes: int, *, numbered: bool
    ) -> Staged:
        with tempfile.TemporaryDirectory(prefix="arrow-engine-") as workdir:
            staged_path = Path(workdir) / STAGED_FILE
            read = _read_into(staged_path, storage, request, block_bytes, numbered=numbered)
            rows_written = pq.read_metadata(staged_path).num_rows
            staging_file = f"{request.layout.staging}/{STAGED_FILE}"
            storage.move_in(staged_path, staging_file)
        rows_read = read.well_formed + len(read.malformed)
        rejects = _located(storage, request, read.bad_values, read.malformed)
        if rows_read != rows_written + len(rejects) or rows_written != read.written:
            raise RuntimeError(
                f"row accounting failed: read {rows_read}, "
                f"wrote {rows_written}, rejected {len(rejects)}"
            )
        return Staged(rows_read, rows_written, [staging_file], in_file_order(rejects))


@dataclass
class _Read:
    """What one read of the file found and wrote."""

    well_formed: int = 0
    written: int = 0
    # (index among well-formed records, reason)
    bad_values: list[tuple[int, str]] = field(default_factory=list)
    # set aside by the reader: (index among all data records, reason, text)
    malformed: list[tuple[int, str, str]] = field(default_factory=list)


def _read_into(
    staged_path: Path, storage: Storage, request: StageRequest, block_bytes: int, *, numbered: bool
) -> _Read:
    """One read of the file into ``staged_path``. Not ``numbered``, Arrow parses blocks on
    all cores but cannot tell a set-aside record's number: the first one ends this read."""
    read = _Read()
    unnumbered: list[str] = []  # texts of records set aside without their number
    expected = len(request.columns)
    # the reader numbers records from the first line, skipped lines included
    first_record = request.sample.header_lines + 1

    def on_malformed(row: pacsv.InvalidRow) -> str:
        if row.number is None:
            unnumbered.append(row.text)
            return "error"
        reason = f"expected {expected} fields, found {row.actual_columns}"
        read.malformed.append((row.number - first_record, reason, row.text))
        return "skip"

    try:
        with (
            storage.open(request.source_uri, request.source_version) as stream,
            ThreadPoolExecutor(1, thread_name_prefix="csv-reader") as reading,
            RowGroupWriter(staged_path, output_schema(request.columns), request.columns) as rows,
            ThreadPoolExecutor(CHECKERS, thread_name_prefix="csv-checker") as checking,
        ):
            reader = _open_csv(stream, request, on_malformed, block_bytes, numbered=numbered)
            for checked, kept in _checked(_read_ahead(reader, reading), checking, request):
                bad = pc.invert(checked.good)
                if request.stop_at_misfit and pc.any(bad).as_py():
                    raise LateMisfitError(checked.reasons.filter(bad)[0].as_py())
                for offset, reason in zip(
                    pc.indices_nonzero(bad).to_pylist(),
                    checked.reasons.filter(bad).to_pylist(),
                    strict=True,
                ):
                    read.bad_values.append((read.well_formed + offset, reason))
                rows.add(kept)
                read.well_formed += len(checked.good)
                read.written += kept.num_rows
                _refuse_mostly_malformed(read.bad_values, read.malformed, read.well_formed)
    except pa.ArrowInvalid:
        if unnumbered:
            raise _UnnumberedRecordError from None
        raise
    _refuse_mostly_malformed(read.bad_values, read.malformed, read.well_formed)
    return read


class _UnnumberedRecordError(Exception):
    """A record was set aside by a reader that does not number records."""


def use_jemalloc() -> None:
    """Arrow's jemalloc pool, unless ARROW_DEFAULT_MEMORY_POOL chooses one or the wheel has
    none. With pyarrow's default (mimalloc) the kernel's time to hand pages back and fault
    them in again for every block was a third of a 500 MB run (2.3 s of 6.5 s CPU,
    against 0.85 s with jemalloc)."""
    if os.environ.get(MEMORY_POOL_VARIABLE) or "jemalloc" not in pa.supported_memory_backends():
        return
    if pa.default_memory_pool().backend_name != "jemalloc":
        pa.set_memory_pool(pa.jemalloc_memory_pool())


def _open_csv(
    stream: BinaryIO,
    request: StageRequest,
    on_malformed: Callable[[pacsv.InvalidRow], str],
    block_bytes: int,
    *,
    numbered: bool,
) -> pacsv.CSVStreamingReader:
    """Every field as text (the checks convert them); ``numbered``, one block at a time,
    so that set-aside records know their number."""
    return pacsv.open_csv(
        pa.PythonFile(stream, mode="r"),
        read_options=pacsv.ReadOptions(
            column_names=[c.field for c in request.columns],
            skip_rows=request.sample.header_lines,
            use_threads=not numbered,
            block_size=block_bytes,
            encoding=ARROW_ENCODINGS[request.sample.encoding],
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=request.sample.delimiter,
            newlines_in_values=True,
            invalid_row_handler=on_malformed,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c.field: pa.string() for c in request.columns},
            # Only the empty field is null here: NULL_TOKENS decide the rest, not Arrow's
            # longer default list (where "NA" is a country).
            null_values=[""],
            strings_can_be_null=True,
        ),
    )


def _read_ahead(
    reader: pacsv.CSVStreamingReader, pool: ThreadPoolExecutor
) -> Iterator[pa.RecordBatch]:
    """The reader's blocks, the next one parsed on the pool while this one is used."""
    upcoming = pool.submit(_next_block, reader)
    while (batch := upcoming.result()) is not None:
        upcoming = pool.submit(_next_block, reader)
        yield batch


def _checked(
    batches: Iterator[pa.RecordBatch], pool: ThreadPoolExecutor, request: StageRequest
) -> Iterator[tuple[CheckedBatch, pa.RecordBatch]]:
    """Each block checked and made into the rows written, CHECKERS blocks at a time on the
    pool, in the file's order."""
    in_flight: deque[Future[tuple[CheckedBatch, pa.RecordBatch]]] = deque()
    for batch in batches:
        in_flight.append(pool.submit(_check, batch, request))
        if len(in_flight) > CHECKERS:
            yield in_flight.popleft().result()
    while in_flight:
        yield in_flight.popleft().result()


def _check(batch: pa.RecordBatch, request: StageRequest) -> tuple[CheckedBatch, pa.RecordBatch]:
    checked = check_batch(batch, request.columns, request.sample.line_ending)
    return checked, _written(checked, request)


def _next_block(reader: pacsv.CSVStreamingReader) -> pa.RecordBatch | None:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None


class RowGroupWriter:
    """Blocks gathered into row groups of about ROW_GROUP_BYTES (in memory), each written
    on its own thread while the next is gathered: at most two row groups are held."""

    def __init__(self, path: Path, schema: pa.Schema, columns: Sequence[PlannedColumn]) -> None:
        text = [c.name for c in columns if c.type.kind in DICTIONARY_KINDS]
        self._writer = pq.ParquetWriter(
            path,
            schema,
            compression="snappy",
            # Text and dates repeat; ids, amounts and times rarely do, and trying a
            # dictionary on them costs as much as the rest of the write.
            use_dictionary=[*text, *METADATA_COLUMNS],
        )
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="parquet-writer")
        self._schema = schema
        self._gathered: list[pa.RecordBatch] = []
        self._gathered_bytes = 0
        self._writing: Future[None] | None = None

    def __enter__(self) -> RowGroupWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if exc_info[0] is None:
                self._flush()
                self._wait()
        finally:
            self._pool.shutdown(wait=True)
            self._writer.close()

    def add(self, batch: pa.RecordBatch) -> None:
        """Gather a block; hand over a full row group to the writer thread."""
        if batch.num_rows == 0:
            return
        self._gathered.append(batch)
        self._gathered_bytes += batch.nbytes
        if self._gathered_bytes >= ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        self._wait()
        if self._gathered:
            table = pa.Table.from_batches(self._gathered, schema=self._schema)
            self._writing = self._pool.submit(
                self._writer.write_table, table, row_group_size=table.num_rows
            )
        self._gathered, self._gathered_bytes = [], 0

    def _wait(self) -> None:
        if self._writing is not None:
            self._writing.result()
            self._writing = None


def _refuse_mostly_malformed(
    bad_values: Sequence[tuple[int, str]], malformed: Sequence[tuple[int, str, str]], good: int
) -> None:
    rejected = len(bad_values) + len(malformed)
    if rejected > MAX_REJECTED_ROWS:
        raise too_many_rejects(rejected, good + len(malformed))


def _located(
    storage: Storage,
    request: StageRequest,
    bad_values: Sequence[tuple[int, str]],
    malformed: Sequence[tuple[int, str, str]],
) -> list[Reject]:
    """Every rejected record with its line and text, read once more from the file.

    Records with bad values are counted among the well-formed ones: merged with the
    malformed ones, each gets its index among all data records.
    """
    if not bad_values and not malformed:
        return []
    set_aside = sorted(index for index, _, _ in malformed)
    by_index: dict[int, tuple[str, str | None]] = {
        index: (reason, text) for index, reason, text in malformed
    }
    passed = 0
    for well_formed_index, reason in sorted(bad_values):
        while passed < len(set_aside) and set_aside[passed] <= well_formed_index + passed:
            passed += 1
        by_index[well_formed_index + passed] = (reason, None)
    with storage.open(request.source_uri, request.source_version) as stream:
        located = locate_records(
            stream,
            # the locator counts a sep= line as the header: data records start after it
            [RecordPosition(0, 0, index + request.sample.preamble) for index in by_index],
            encoding=request.sample.encoding,
            multiline=True,
        )
    rejects = []
    for index, (reason, text) in by_index.items():
        place = located.get(RecordPosition(0, 0, index + request.sample.preamble))
        rejects.append(
            Reject(
                line=place.line if place else None,
                reason=reason,
                record=place.text if place else text,
            )
        )
    return rejects


def _written(checked: CheckedBatch, request: StageRequest) -> pa.RecordBatch:
    """The good records as written: typed source columns and the metadata columns."""
    if checked.all_good:
        values = list(checked.values)
    else:
        values = [array.filter(checked.good) for array in checked.values]
    rows = int(pc.sum(checked.good).as_py() or 0)
    metadata = {
        PROCESSED_AT: request.processed_at,
        SOURCE_FILE: request.source_uri,
        PROCESSING_JOB: request.job_name,
    }
    values += [
        pa.repeat(pa.scalar(metadata[name], arrow_type(kind)), rows)
        for name, kind in METADATA_TYPES.items()
    ]
    return pa.RecordBatch.from_arrays(values, schema=output_schema(request.columns))
