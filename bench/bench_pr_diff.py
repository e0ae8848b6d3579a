"""Whole-process time of the PR inventory diff of one stack, `plumbing infra pr-diff --base BASE
-s STACK` (base and head each planned by their own code), against one `plumbing infra plan -s
STACK`, measured alternately in one run. Target: at most 2x.

The base is this checkout; the head a copy of it with one release's nightly schedule changed.

    python bench/bench_pr_diff.py [--runs 7] [--stack dogfooding]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from timing import ROOT, alternate, bench_env, report

TARGET = 2.0
PARTS = ("src", "infra", "plumbing.yaml", "releases", "images", "cronjobs", "triggers", "tasks", "pipelines",
         "Pulumi.yaml")


def head_copy(dest: Path, stack: str) -> Path:
    for part in (*PARTS, f"Pulumi.{stack}.yaml"):
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(src, dest / part)
    cli = dest / "releases" / "cli.yaml"
    cli.write_text(cli.read_text().replace('schedule: "0 6 * * *"', 'schedule: "30 6 * * *"'))
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--stack", default="dogfooding")
    args = parser.parse_args()
    plumbing = str(Path(sys.executable).parent / "plumbing")
    with tempfile.TemporaryDirectory() as tmp:
        head = head_copy(Path(tmp), args.stack)
        plan_name, diff_name = f"infra plan -s {args.stack}", "infra pr-diff (base, head)"
        cmds = {
            plan_name: [plumbing, "infra", "plan", "-s", args.stack, "--output", "json"],
            diff_name: [plumbing, "infra", "pr-diff", "--base", str(ROOT), "--root", str(head), "-s", args.stack,
                        "--output", "json"],
        }
        times, outputs = alternate(cmds, args.runs, bench_env())
    if b'"spec.schedule"' not in outputs[diff_name]:
        print("pr-diff did not report the changed schedule", file=sys.stderr)
        return 1
    med = report(times, width=28)
    ratio = med[diff_name] / med[plan_name]
    print(f"ratio pr-diff/plan           {ratio:.2f}x (target <= {TARGET:g}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
