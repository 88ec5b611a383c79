import codecs
import io
import tracemalloc

import pytest

from dataio import parsing

from .factories import csv_bytes


def _records(data, delimiter=",", encoding="utf-8"):
    return list(parsing.iter_records(io.BytesIO(data), encoding=encoding, delimiter=delimiter))


def test_records_carry_the_line_they_start_on():
    data = b'a,b\n1,"two\nlines"\n\n3,4\n'
    assert _records(data) == [(1, ["a", "b"]), (2, ["1", "two\nlines"]), (5, ["3", "4"])]


def test_utf8_with_and_without_bom_read_the_same():
    plain = csv_bytes([["name"], ["Zoë"]])
    assert _records(plain) == _records(codecs.BOM_UTF8 + plain) == [(1, ["name"]), (2, ["Zoë"])]


def test_undecodable_bytes_name_the_line():
    data = b"name\nok\n" + b"x" * 10_000 + b"\nfine\nbad \xff\n"
    with pytest.raises(parsing.FileError) as excinfo:
        _records(data)
    assert excinfo.value.line == 5
    assert excinfo.value.message.startswith("Line 5 is not valid UTF-8 (byte 0xFF at character 5)")


def test_utf16_is_recognised():
    with pytest.raises(parsing.FileError, match="looks like UTF-16"):
        parsing.read_header(io.BytesIO("name\nZoë\n".encode("utf-16")), encoding="utf-8")


@pytest.mark.parametrize(
    ("line", "delimiter"), [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("abc", ",")]
)
def test_delimiter_is_detected_from_the_header(line, delimiter):
    headers, detected = parsing.read_header(io.BytesIO(f"{line}\n1\n".encode()), encoding="utf-8")
    assert detected == delimiter
    assert headers == line.split(delimiter)


def test_read_header_leaves_the_stream_open():
    stream = io.BytesIO(b"\n\n Name , Email \nx,y\n")
    assert parsing.read_header(stream, encoding="utf-8") == (["Name", "Email"], ",")
    stream.seek(0)
    assert parsing.estimate_rows(stream) == 3


def test_estimate_counts_a_last_line_without_break():
    assert parsing.estimate_rows(io.BytesIO(b"h\n1\n2")) == 2
    assert parsing.estimate_rows(io.BytesIO(b"")) == 0


def _write_big_file(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("external_id,name,email,region\n")
        for n in range(rows):
            f.write(f"C-{n:06d},Customer number {n},c{n}@example.com,Region {n % 17}\n")
    return path.stat().st_size


def test_a_large_file_streams_in_flat_memory(tmp_path):
    size = _write_big_file(tmp_path / "big.csv", 20_000)
    tracemalloc.start()
    try:
        with open(tmp_path / "big.csv", "rb") as stream:
            count = sum(1 for _ in parsing.iter_records(stream, encoding="utf-8", delimiter=","))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_001
    assert peak < size / 10, (peak, size)


class _GeneratedStream(io.RawIOBase):
    """A file whose bytes are produced on demand, counting how many were asked for."""

    def __init__(self, rows):
        self.chunks = (f"C-{n},Name {n}\n".encode() for n in range(rows))
        self.pending = b"external_id,name\n"
        self.produced = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        while len(self.pending) < len(buffer):
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.pending += chunk
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        self.produced += size
        return size


def test_records_come_before_the_file_is_read_whole():
    raw = _GeneratedStream(100_000)
    records = parsing.iter_records(io.BufferedReader(raw), encoding="utf-8", delimiter=",")
    first = [next(records) for _ in range(10)]
    assert first[-1] == (10, ["C-8", "Name 8"])
    assert raw.produced < 100_000  # the file is about 1.6 MB
    assert sum(1 for _ in records) == 100_000 - 9
