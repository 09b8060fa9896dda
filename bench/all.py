"""Every figure in one run: `python bench/all.py`.

Runs the benches one after another (so they do not compete for the machine) and prints
their figures together: ack and command → views.open against bare Bolt in both modes, acks
through a rate-limit storm, the declare path, pin throughput with one and two replicas,
resident memory, and the viewer.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNS = (
    ("ack and command → views.open, bot vs bare Bolt", ["declare_ack.py", "500"]),
    ("acks through a one-minute 429 storm", ["rate_limit_storm.py", "60"]),
    ("declare path, pins, memory", ["memory.py"]),
    ("viewer on PostgreSQL, 10,000 incidents", ["viewer_bench.py", "--requests", "100"]),
    ("import-response, 10,048 incidents", ["import_response.py"]),
)


def main() -> int:
    failed = 0
    for title, args in RUNS:
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, str(HERE / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            cwd=HERE.parent,
            timeout=1800,
        )
        print(f"===== {title} ({time.monotonic() - started:.0f} s)")
        print(result.stdout.rstrip() or "(no output)")
        if result.returncode != 0:
            failed += 1
            print(f"exit {result.returncode}: {result.stderr.strip().splitlines()[-1:]}")
        print()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
