"""JSON Lines from Arrow record batches, column by column with Arrow's compute kernels (no
Python object per value), in the one contract both engines keep:

| Parquet | JSON |
| --- | --- |
| integers | numbers |
| float, double | numbers (``2.0``, ``1e+20``); NaN and infinities as ``null`` |
| decimal | strings with every digit (``"12.50"``): JSON readers parse numbers as doubles |
| timestamp | ``"2024-01-15T08:30:00.000000Z"``: ISO-8601 UTC in microseconds (*) |
| date | ``"2024-01-15"`` |
| string | strings, escaped per RFC 8259 (non-ASCII kept as UTF-8) |
| boolean | ``true`` / ``false`` |
| null | ``null``; every column's key is on every line |

(*) A timestamp without a time zone (TLC's wall-clock times) is written as it reads, marked
UTC. Columns of other types (binary, nested, time, duration) are refused by the schema check
before any row is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

NULL = "null"
WHOLE_NUMBER = r"^(-?[0-9]+)$"
NOT_FINITE = r"^(-?inf|nan)$"
ISO_PARTS = r"^(.{10}) (.*)$"
SHORT_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
OTHER_CONTROLS = tuple(chr(c) for c in range(0x20) if chr(c) not in "\n\r\t")
CONTROL = "[\\x00-\\x1f]"


def json_values(array: pa.Array) -> pa.Array:
    """Each value of ``array`` as JSON text (``null`` for nulls)."""
    data_type = array.type
    if pa.types.is_dictionary(data_type):
        return json_values(array.dictionary_decode())
    if pa.types.is_floating(data_type):
        return _floats(array)
    if pa.types.is_integer(data_type) or pa.types.is_boolean(data_type):
        return pc.fill_null(pc.cast(array, pa.string()), NULL)
    if pa.types.is_timestamp(data_type):
        return _timestamps(array)
    if pa.types.is_decimal(data_type) or pa.types.is_date(data_type):
        return _quoted(pc.cast(array, pa.string()))
    return _quoted(escape(pc.cast(array, pa.string())))


def escape(text: pa.Array) -> pa.Array:
    """Strings escaped for JSON: backslash, quote and the control characters."""
    for raw, escaped in SHORT_ESCAPES[:2]:
        text = pc.replace_substring(text, raw, escaped)
    if not pc.any(pc.match_substring_regex(text, CONTROL)).as_py():
        return text
    for raw, escaped in SHORT_ESCAPES[2:]:
        text = pc.replace_substring(text, raw, escaped)
    for raw in OTHER_CONTROLS:
        text = pc.replace_substring(text, raw, f"\\u{ord(raw):04x}")
    return text


def _quoted(text: pa.Array) -> pa.Array:
    return pc.fill_null(pc.binary_join_element_wise('"', text, '"', ""), NULL)


def _floats(array: pa.Array) -> pa.Array:
    """Arrow's shortest text of each float, ``.0`` after a whole number (as Spark writes
    it), ``null`` for NaN and infinities (``nan``, ``inf`` as text)."""
    text = pc.replace_substring_regex(pc.cast(array, pa.string()), WHOLE_NUMBER, r"\1.0")
    if not pc.all(pc.is_finite(array)).as_py():
        text = pc.replace_substring_regex(text, NOT_FINITE, NULL)
    return pc.fill_null(text, NULL)


def _timestamps(array: pa.Array) -> pa.Array:
    """ISO-8601 in UTC with microseconds: the values in UTC, as naive microseconds (a view of
    the same numbers), cast to text (``2024-01-15 08:30:00.123456``), ``T`` and ``Z`` put in."""
    if array.type.tz:
        array = pc.cast(array, pa.timestamp("us", tz="UTC"), safe=False).view(pa.timestamp("us"))
    text = pc.cast(pc.cast(array, pa.timestamp("us"), safe=False), pa.string())
    return pc.fill_null(pc.replace_substring_regex(text, ISO_PARTS, r'"\1T\2Z"'), NULL)


def lines(
    columns: Sequence[tuple[str, pa.Array]], extra: tuple[str, pa.Array] | None = None
) -> bytes:
    """One JSON object per row, ``\\n``-terminated: each ``(key, values)`` column in order,
    and ``extra`` (a key and its JSON text) last."""
    pieces: list[str | pa.Array] = []
    fields = [(key, json_values(values)) for key, values in columns]
    if extra is not None:
        fields.append(extra)
    for index, (key, values) in enumerate(fields):
        pieces += [("{" if index == 0 else ",") + json.dumps(key, ensure_ascii=False) + ":"]
        pieces.append(values)
    pieces.append("}\n")
    joined = pc.binary_join_element_wise(*pieces, "")
    return _buffer_bytes(joined)


def string_list(reasons: Sequence[pa.Array]) -> pa.Array:
    """Per row, a JSON list of the non-null values of ``reasons`` (each already JSON text)."""
    joined = pc.fill_null(reasons[0], "")
    for reason in reasons[1:]:
        both = pc.binary_join_element_wise(joined, reason, ",")
        either = pc.if_else(pc.equal(joined, ""), reason, both)
        joined = pc.if_else(pc.is_null(reason), joined, either)
    return pc.binary_join_element_wise("[", joined, "]", "")


def _buffer_bytes(joined: pa.Array) -> bytes:
    """The concatenated values of a string array without nulls, straight from its buffers."""
    if len(joined) == 0:
        return b""
    offsets = memoryview(joined.buffers()[1]).cast(
        "q" if pa.types.is_large_string(joined.type) else "i"
    )
    first, last = offsets[joined.offset], offsets[joined.offset + len(joined)]
    return bytes(memoryview(joined.buffers()[2])[first:last])
