"""Whole-process time of `plumbing infra plan -s dogfooding` against the floor of importing the
SDK modules it uses, `python -c "import pulumi, pulumi_gcp.container, pulumi_gcp.storage,
pulumi_kubernetes.core.v1, pulumi_kubernetes.batch.v1, pulumi_kubernetes.rbac.v1"`, measured
alternately in one run. Target: at most 3x.

    python bench/bench_infra.py [--runs 11] [--stack dogfooding]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = ("import pulumi, pulumi_gcp.container, pulumi_gcp.storage, pulumi_kubernetes.core.v1, "
           "pulumi_kubernetes.batch.v1, pulumi_kubernetes.rbac.v1")
TARGET = 3.0


def timed(cmd, env) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--stack", default="dogfooding")
    args = parser.parse_args()
    plumbing = str(Path(sys.executable).parent / "plumbing")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    plan_name = f"infra plan -s {args.stack}"
    cmds = {
        plan_name: [plumbing, "infra", "plan", "-s", args.stack, "--output", "json"],
        "import SDK modules": [sys.executable, "-c", IMPORTS],
    }
    for cmd in cmds.values():  # warm the page cache and the bytecode caches
        timed(cmd, env)
    times = {name: [] for name in cmds}
    for _ in range(args.runs):
        for name, cmd in cmds.items():  # alternate, so drift hits both equally
            times[name].append(timed(cmd, env))
    med = {name: statistics.median(t) for name, t in times.items()}
    for name, value in med.items():
        print(f"{name:<24} median {value * 1000:7.1f} ms over {args.runs} runs "
              f"(min {min(times[name]) * 1000:.1f}, max {max(times[name]) * 1000:.1f})")
    ratio = med[plan_name] / med["import SDK modules"]
    print(f"ratio plan/import        {ratio:.2f}x (target <= {TARGET:g}x)")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
