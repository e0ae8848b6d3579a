"""What every bench shares: run whole commands alternately in one run and report medians.

Alternating the commands makes drift (other load, CPU frequency) hit all of them equally, so
the ratios between medians are what the benches quote.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench_env(**extra) -> dict:
    """The environment of an installed package: bytecode caches on (any value of
    PYTHONDONTWRITEBYTECODE would turn them off)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def run(cmd, env, cwd=ROOT) -> tuple[float, bytes]:
    """Seconds one whole-process run took, and its stdout."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    return time.perf_counter() - start, proc.stdout


def alternate(cmds: dict[str, list[str]], runs: int, env: dict, cwd=ROOT) -> tuple[dict, dict]:
    """Warm every command once (page cache, bytecode), then time them alternately.

    Returns ({name: [seconds...]}, {name: stdout of the warm-up run}).
    """
    outputs = {name: run(cmd, env, cwd)[1] for name, cmd in cmds.items()}
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(run(cmd, env, cwd)[0])
    return times, outputs


def report(times: dict[str, list[float]], width: int = 24) -> dict[str, float]:
    """Print each command's median (with min and max); return the medians."""
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"{name:<{width}} median {medians[name] * 1000:7.1f} ms over {len(t)} runs "
              f"(min {min(t) * 1000:.1f}, max {max(t) * 1000:.1f})")
    return medians
