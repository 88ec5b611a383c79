"""The filesystem broker of local runs writes each message atomically (crm/broker.py)."""

import os
from pathlib import Path
from queue import Empty

import pytest
from kombu import Connection

from crm import broker


@pytest.fixture
def channel(tmp_path):
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    with Connection(transport=broker.Transport, transport_options=options) as connection:
        yield connection.channel(), tmp_path


def test_a_message_appears_under_its_name_only_once_complete(channel, monkeypatch):
    chan, folder = channel
    seen = []
    replace = os.replace

    def watching_replace(source, target):
        seen.append((sorted(os.listdir(folder)), Path(source).read_bytes()))
        replace(source, target)

    monkeypatch.setattr(broker.os, "replace", watching_replace)
    chan._put("jobs", {"body": "x" * 10_000})
    ((names, content),) = seen
    assert len(names) == 1
    assert names[0].endswith(".jobs.msg.part")
    assert content.endswith(b'"}')
    (name,) = os.listdir(folder)
    assert name.endswith(".jobs.msg")
    assert chan._get("jobs") == {"body": "x" * 10_000}


def test_a_message_being_written_is_not_read(channel):
    chan, folder = channel
    (folder / "1_abc.jobs.msg.part").write_bytes(b"")
    with pytest.raises(Empty):
        chan._get("jobs")
    assert (folder / "1_abc.jobs.msg.part").exists()
