"""Two trees of the product compared page by page in one run (issue 14): the tree before a
change and the tree after it, each served by gunicorn (one sync worker) from its own
checkout, against the same database and Redis; one client requests each page from one
server then the other, round after round, so the machine's load weighs on both alike.

On a shared machine two benchmark runs one after the other differed by more than a change
did (docs/benchmarks.md, *A request's fixed cost*, fourth round); interleaved, they do not.
The bench users are ``bench/pages.py``'s (made on its first run, as here). Prints the median
and p95 of each page on each tree, and after / before.

    DATABASE_URL=postgres://root@127.0.0.1:5432/crm_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/ab.py --before /tmp/before --rounds 30 \\
        --page "manager /customers/" --page "rep /customers/?sort=-score"

``--before``: a checkout of the earlier commit (``git worktree add --detach DIR REV``) with
no migration this one lacks; ``--after``: this checkout unless given. A page is "USER PATH",
USER being manager, rep, admin or "-" (no one signed in: ``/bench/plain/``).
"""

import argparse
import signal
import statistics
from pathlib import Path

from pages import PLAIN, ROOT, OverHttp, Target, _load, _percentile, bench_users, start_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=ROOT)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--page", action="append", default=[], help='"USER PATH"')
    parser.add_argument("--port", type=int, default=8801, help="the first of two ports")
    args = parser.parse_args()

    pages = [f"- {PLAIN}", *args.page]
    targets = []
    for page in pages:
        user, path = page.split(" ", 1)
        label = "" if user == "-" else user
        targets.append(Target("ab", path, label, path))
    users = bench_users()
    servers = [
        start_server(args.port, 1, root=args.before.resolve()),
        start_server(args.port + 1, 1, root=args.after.resolve()),
    ]
    try:
        runners = [OverHttp(args.port, users), OverHttp(args.port + 1, users)]
        for target in targets:  # each page once on each tree before timing (caches, plans)
            for runner in runners:
                status, _elapsed = runner.get(target)
                if status != 200:
                    raise SystemExit(f"{status}: {target.user or '-'} {target.path}")
        samples: dict[Target, tuple[list[float], list[float]]] = {t: ([], []) for t in targets}
        load_before = _load()
        for _round in range(args.rounds):
            for target in targets:
                for runner, times in zip(runners, samples[target], strict=True):
                    times.append(runner.get(target)[1] * 1000)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print(f"{args.rounds} rounds, load {load_before} → {_load()}; medians (p95) in ms\n")
    print("| page | user | before | after | after / before |\n|---|---|---|---|---|")
    for target, (before, after) in samples.items():
        median_before, median_after = statistics.median(before), statistics.median(after)
        print(
            f"| {target.path} | {target.user or '-'} "
            f"| {median_before:.1f} ({_percentile(before, 0.95):.1f}) "
            f"| {median_after:.1f} ({_percentile(after, 0.95):.1f}) "
            f"| {median_after / median_before:.2f} |"
        )


if __name__ == "__main__":
    main()
