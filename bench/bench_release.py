"""Whole-process time of `release nightly pipeline --revision SHA` against the floor of
`python -c "import yaml, jinja2"`, measured alternately in one run. Target: at most 2x.

    python bench/bench_release.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHA = "3ee1745ae5b2d1ec5a5e3b0e6b3a8f0d3b2a1c4e"


def timed(cmd, env) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    release = str(bindir / "release")
    out = tempfile.mkdtemp(prefix="bench-release-")
    # Use bytecode caches as a normal install does (any value of this variable disables them).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cmds = {
        "release nightly": [release, "nightly", "pipeline", "--revision", SHA, "--out", out],
        "import yaml, jinja2": [sys.executable, "-c", "import yaml, jinja2"],
    }
    for cmd in cmds.values():  # warm the page cache and the bytecode caches
        timed(cmd, env)
    times = {name: [] for name in cmds}
    for _ in range(args.runs):
        for name, cmd in cmds.items():  # alternate, so drift hits both equally
            times[name].append(timed(cmd, env))
    med = {name: statistics.median(t) for name, t in times.items()}
    for name, value in med.items():
        print(f"{name:<22} median {value * 1000:7.1f} ms over {args.runs} runs")
    ratio = med["release nightly"] / med["import yaml, jinja2"]
    print(f"ratio release/import   {ratio:.2f}x (target <= 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
