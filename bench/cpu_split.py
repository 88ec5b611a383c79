"""Where a request's CPU goes (issue 14): the server's workers, PostgreSQL and the load
client, per request, for pages served as ``bench/pages.py`` serves them.

A page's rate at 8 clients on a 2-core machine is bounded by the CPU all three spend on a
request, not by one of them; this reads each one's share off ``/proc`` (user plus system
time) around a throughput run of each page, the plain page first. Linux only; the
PostgreSQL server must run on this machine (every process named ``postgres`` is counted, so
nothing else should use it meanwhile).

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/cpu_split.py --seconds 4 \\
        --page "manager /customers/?sort=-score" --page "rep /customers/"

A page is "USER PATH" as for ``bench/ab.py``.
"""

import argparse
import os
import signal
from pathlib import Path

from pages import PLAIN, OverHttp, Target, bench_users, start_server, throughput

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    # The command name may hold spaces: the fields that follow it are after its ")".
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = _stat(pid)
        except OSError:  # ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def named(command: str) -> list[int]:
    found = []
    for pid in _pids():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == command:
                found.append(pid)
        except OSError:
            continue
    return found


def children(parent: int) -> list[int]:
    found = []
    for pid in _pids():
        try:
            if int(_stat(pid)[1]) == parent:
                found.append(pid)
        except OSError:
            continue
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--page", action="append", default=[], help='"USER PATH"')
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8811)
    args = parser.parse_args()

    users = bench_users()
    server = start_server(args.port, args.workers)
    try:
        runner = OverHttp(args.port, users)
        workers = children(server.pid)
        print(f"| page | user | req/s | server | PostgreSQL | client |\n|{'---|' * 6}")
        for page in [f"- {PLAIN}", *args.page]:
            user, path = page.split(" ", 1)
            target = Target("cpu", path, "" if user == "-" else user, path)
            for _ in range(20):  # caches and plans, as the benchmark's first round
                status, _elapsed = runner.get(target)
                if status != 200:
                    raise SystemExit(f"{status}: {page}")
            database = named("postgres")
            before = [cpu_seconds(workers), cpu_seconds(database), os.times()]
            rate = throughput(runner, target, clients=args.clients, seconds=args.seconds)
            after = [cpu_seconds(workers), cpu_seconds(database), os.times()]
            requests = rate * (after[2].elapsed - before[2].elapsed)
            client = (after[2].user + after[2].system) - (before[2].user + before[2].system)
            shares = [after[0] - before[0], after[1] - before[1], client]
            per_request = " | ".join(f"{1000 * share / requests:.2f} ms" for share in shares)
            print(f"| {path} | {user} | {rate:.0f} | {per_request} |", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
