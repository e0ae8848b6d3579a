"""Whole-process time of `release nightly pipeline --revision SHA` against the floor of
`python -c "import yaml, jinja2"`, measured alternately in one run. Target: at most 2x.

    python bench/bench_release.py [--runs 21]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from timing import alternate, bench_env, report

SHA = "3ee1745ae5b2d1ec5a5e3b0e6b3a8f0d3b2a1c4e"
TARGET = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    release = str(Path(sys.executable).parent / "release")
    out = tempfile.mkdtemp(prefix="bench-release-")
    cmds = {
        "release nightly": [release, "nightly", "pipeline", "--revision", SHA, "--out", out],
        "import yaml, jinja2": [sys.executable, "-c", "import yaml, jinja2"],
    }
    times, _ = alternate(cmds, args.runs, bench_env())
    med = report(times)
    ratio = med["release nightly"] / med["import yaml, jinja2"]
    print(f"ratio release/import     {ratio:.2f}x (target <= {TARGET:g}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
