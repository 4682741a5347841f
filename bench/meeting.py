"""The meetings' figures in one run (issue 13, item 9): the machine's core count, then each meeting benchmark
as a process of its own, one after the other, so they do not share the cores:

- bench/meeting_live.py: chair's action → every page with 500, 1,000 and 2,000 delegates, next to a bare
  Flask-SocketIO broadcast of the same payload (p50/p95/p99, the ratio of the p95s; goal ≤ 1.3×);
- bench/meeting_votes.py (when present): 1,000 delegates casting within 10 s, acknowledgement p95, close to
  result on every page, votes lost and counted twice;
- bench/meeting_minutes.py (when present).

Figures only, loopback only; the exit status is 1 if any of them failed.

    .venv/bin/python bench/meeting.py [--quick]      # --quick: 100 delegates, 5 actions (a smoke run)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small crowds, for a smoke run")
    args = parser.parse_args()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {os.cpu_count()} cores ({usable} usable), load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    runs: list[tuple[str, list[str]]] = [
        ("meeting_live.py", ["--delegates", "100", "--actions", "5"] if args.quick else []),
        ("meeting_votes.py", ["--delegates", "100"] if args.quick else []),
        ("meeting_minutes.py", []),
    ]
    failed = []
    for script, extra in runs:
        path = BENCH / script
        if not path.exists():
            print(f"\n== {script}: not there, skipped", flush=True)
            continue
        print(f"\n== {script} {' '.join(extra)}", flush=True)
        started = time.monotonic()
        code = subprocess.run([sys.executable, str(path), *extra], cwd=BENCH.parent).returncode
        print(f"== {script}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
