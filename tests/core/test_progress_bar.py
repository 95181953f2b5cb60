"""The terminal progress of ``migrate``: status lines above a bar redrawn in place, erased at the end."""

from __future__ import annotations

import io
import threading

from hypothesis import given
from hypothesis import strategies as st

from muskox.cli.progress_bar import BAR_WIDTH, StatusLines, render_bar

ERASE = "\r\x1b[K"


@given(st.integers(0, 10_000).flatmap(lambda total: st.tuples(st.integers(0, total), st.just(total))))
def test_the_bar_fills_in_proportion(counts: tuple[int, int]) -> None:
    finished, total = counts
    text = render_bar(finished, total, 1.25)
    inside = text[1:text.index("]")]
    assert len(inside) == BAR_WIDTH
    filled = inside.count("=")
    assert filled == (BAR_WIDTH if total == 0 else finished * BAR_WIDTH // total)
    assert f"{finished}/{total} operations" in text and text.endswith("1.2 s")


def test_lines_scroll_above_the_bar_which_is_erased_after_the_last_operation() -> None:
    stream = io.StringIO()
    status = StatusLines(stream, bar=True)
    status.line("Acquired the migration lock (me)")
    status.line("[1/2] Creating table 'a'")
    status.advanced(1, 2)
    status.line("[2/2] Creating table 'b'")
    status.advanced(2, 2)
    status.line("Applied 2 operation(s)")
    text = stream.getvalue()
    bar = render_bar(1, 2, 0.0).split("  ")[0]
    # the second line erases the bar, prints itself and draws the bar again below it
    assert f"{ERASE}[2/2] Creating table 'b'\n{bar}" in text
    # after the last operation the bar is erased (never drawn full) and later lines are plain
    assert text.endswith(f" s{ERASE}Applied 2 operation(s)\n") and "2/2 operations" not in text


def test_without_a_terminal_only_the_lines_are_written() -> None:
    stream = io.StringIO()
    status = StatusLines(stream, bar=False)
    status.line("[1/1] Creating table 'a' on http://u:secret@h:8123/db")
    status.advanced(1, 1)
    assert stream.getvalue() == "[1/1] Creating table 'a' on http://u:****@h:8123/db\n"


def test_quiet_writes_nothing() -> None:
    stream = io.StringIO()
    status = StatusLines(stream, quiet=True, bar=True)
    status.line("[1/1] Creating table 'a'")
    status.advanced(1, 1)
    assert stream.getvalue() == ""


def test_lines_from_many_threads_never_interleave() -> None:
    stream = io.StringIO()
    status = StatusLines(stream, bar=True)
    total = 400

    def work(start: int) -> None:
        for n in range(start, total, 4):
            status.line(f"[{n + 1}/{total}] operation {n}")
            status.advanced(n + 1 if n + 1 < total else total - 1, total)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    printed = [part.split("\n")[0] for part in stream.getvalue().split(ERASE) if part.startswith("[") and "\n" in part]
    assert sorted(printed) == sorted(f"[{n + 1}/{total}] operation {n}" for n in range(total))
