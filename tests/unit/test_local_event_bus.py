"""The local event bus routes what a handler invocation prints to the function's log, and what
any other thread prints to where it went before, even while both write at once."""

from __future__ import annotations

import io
import threading

from shared.local.event_bus import ThreadStdout


def test_each_thread_writes_where_its_invocation_says():
    before, function_log = io.StringIO(), io.StringIO()
    stdout = ThreadStdout(before)
    invoking, printed = threading.Event(), threading.Event()

    def invocation() -> None:
        stdout.local.stream = function_log
        invoking.set()
        printed.wait(5)
        stdout.write("metrics line\n")
        stdout.local.stream = None
        stdout.write("after the invocation\n")

    handler = threading.Thread(target=invocation)
    handler.start()
    invoking.wait(5)
    stdout.write("progress line\n")
    printed.set()
    handler.join(5)

    assert function_log.getvalue() == "metrics line\n"
    assert before.getvalue() == "progress line\nafter the invocation\n"


def test_other_attributes_are_those_of_the_stream_it_wraps(tmp_path):
    with (tmp_path / "out.txt").open("w", encoding="utf-8") as before:
        stdout = ThreadStdout(before)
        assert (stdout.fileno(), stdout.encoding) == (before.fileno(), "utf-8")
