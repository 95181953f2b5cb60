"""The log directory's appending (:class:`muskox.logs.files.LogDirectory`): parts, rollover, a vanished file."""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from muskox.logs.files import LogDirectory

DAY = datetime.date(2026, 12, 6)


def read_back(directory: LogDirectory) -> list[str]:
    return [line for log_file in directory.files() for line in log_file.path.read_text().splitlines()]


@settings(max_examples=40, deadline=None)
@given(lines=st.lists(st.text(alphabet="abcxyz{}\":é", min_size=1, max_size=60), min_size=1, max_size=40),
       limit=st.integers(min_value=20, max_value=300))
def test_every_line_is_kept_in_order_and_parts_stay_under_the_size(lines: list[str], limit: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = LogDirectory(Path(name) / "logs", max_file_bytes=limit, max_total_bytes=1 << 30)
        for line in lines:
            directory.append(line, DAY)
        assert read_back(directory) == lines
        for log_file in directory.files():
            data = log_file.path.read_bytes()
            assert len(data) <= limit or data.count(b"\n") == 1  # only a line longer than the limit stands alone


def test_a_file_removed_meanwhile_and_a_new_day_start_new_files(tmp_path: Path) -> None:
    directory = LogDirectory(tmp_path / "logs")
    first = directory.append('{"n": 1}', DAY)
    first.unlink()  # another command pruned it, or someone cleaned up
    assert directory.append('{"n": 2}', DAY) == first and first.read_text() == '{"n": 2}\n'
    other = LogDirectory(tmp_path / "logs")
    other.append('{"n": 3}', DAY)  # a second command appends to the same file
    assert directory.append('{"n": 4}', DAY) == first
    assert read_back(directory) == ['{"n": 2}', '{"n": 3}', '{"n": 4}']
    tomorrow = directory.append('{"n": 5}', DAY + datetime.timedelta(days=1))
    assert tomorrow != first and tomorrow.read_text() == '{"n": 5}\n'
