"""How both engines' Arrow passes feed pyarrow's CSV reader: the encodings it reads, the size
of its blocks, and records longer than a block.

The reader parses a block at a time and needs each record within about two blocks: a read
that meets a longer one starts again with blocks twice as large, up to MAX_BLOCK_BYTES; a
record longer than that rejects the file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pyarrow as pa

from applications_repo.file_processor.job.staging import FileRejectedError

MIB = 1024 * 1024
BLOCK_BYTES = 2 * MIB
MAX_BLOCK_BYTES = 64 * MIB
ARROW_ENCODINGS = {"UTF-8": "utf8", "ISO-8859-1": "latin1"}
# pyarrow's message for a record that does not fit in two blocks
STRADDLING = "straddles two block boundaries"

T = TypeVar("T")


def growing_blocks(read: Callable[[int], T]) -> T:
    """``read(block_bytes)``, read again with larger blocks while a record is too long."""
    block_bytes = BLOCK_BYTES
    while True:
        try:
            return read(block_bytes)
        except pa.ArrowInvalid as error:
            if STRADDLING not in str(error):
                raise
            if block_bytes >= MAX_BLOCK_BYTES:
                raise FileRejectedError(
                    f"a record is longer than {MAX_BLOCK_BYTES // MIB} MiB: is a quote left open?"
                ) from None
            block_bytes *= 2
