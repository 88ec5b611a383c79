"""bench/cpu_split.py reads each process's CPU time off /proc: the figures it reports rest on
finding the right processes and adding up the right fields."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
cpu_split = pytest.importorskip("cpu_split")

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc")


def test_a_process_cpu_time_grows_with_the_work_it_does():
    before = cpu_split.cpu_seconds([os.getpid()])
    deadline = time.process_time() + 0.1
    while time.process_time() < deadline:
        pass
    assert cpu_split.cpu_seconds([os.getpid()]) - before >= 0.05
    # A process that is gone counts for nothing.
    assert cpu_split.cpu_seconds([2**22 + 1]) == 0


def test_processes_are_found_by_name_and_by_parent():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in cpu_split.children(os.getpid())
        name = Path(f"/proc/{child.pid}/comm").read_text().strip()
        assert child.pid in cpu_split.named(name)
    finally:
        child.kill()
        child.wait()
