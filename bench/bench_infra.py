"""Whole-process time of `plumbing infra plan -s dogfooding` against the floor of importing the
SDK modules its program imports (`infra/*.py`: pulumi, pulumi_gcp's container, storage,
serviceaccount, projects and artifactregistry, pulumi_kubernetes' core, batch, rbac and yaml.v2,
pulumi_github), measured alternately in one run. Target: at most 3x.

    python bench/bench_infra.py [--runs 11] [--stack dogfooding]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from timing import alternate, bench_env, report

IMPORTS = ("import pulumi, pulumi_gcp.container, pulumi_gcp.storage, pulumi_gcp.serviceaccount, "
           "pulumi_gcp.projects, pulumi_gcp.artifactregistry, pulumi_kubernetes.core.v1, "
           "pulumi_kubernetes.batch.v1, pulumi_kubernetes.rbac.v1, pulumi_kubernetes.yaml.v2, pulumi_github")
TARGET = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--stack", default="dogfooding")
    args = parser.parse_args()
    plumbing = str(Path(sys.executable).parent / "plumbing")
    plan_name = f"infra plan -s {args.stack}"
    cmds = {
        plan_name: [plumbing, "infra", "plan", "-s", args.stack, "--output", "json"],
        "import SDK modules": [sys.executable, "-c", IMPORTS],
    }
    times, _ = alternate(cmds, args.runs, bench_env())
    med = report(times)
    ratio = med[plan_name] / med["import SDK modules"]
    print(f"ratio plan/import        {ratio:.2f}x (target <= {TARGET:g}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
