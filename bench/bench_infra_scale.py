"""How `plumbing infra plan -s dogfooding` grows with the organisation: generated orgs of 6 and
30 projects (each in its own namespaces with its own identities, grants and push Secrets, see
docs/isolation.md), against the floor of importing the SDK modules the plan uses, measured
alternately in one run. Target: 30 projects within 3x the imports.

    python bench/bench_infra_scale.py [--runs 7] [--sizes 6,30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from timing import ROOT, alternate, bench_env, report

sys.path.insert(0, str(ROOT / "tests" / "infra"))
from orgs import write_org  # noqa: E402  (the generator the isolation tests use)

# What the dogfooding plan imports: GKE, buckets, IAM, the Kubernetes kinds, the GitHub organisation.
IMPORTS = ("import pulumi, pulumi_gcp.container, pulumi_gcp.storage, pulumi_gcp.projects, "
           "pulumi_gcp.serviceaccount, pulumi_kubernetes.core.v1, pulumi_kubernetes.batch.v1, "
           "pulumi_kubernetes.rbac.v1, pulumi_github")
TARGET = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default="6,30", help="comma-separated project counts")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    plumbing = str(Path(sys.executable).parent / "plumbing")
    with tempfile.TemporaryDirectory() as tmp:
        cmds = {}
        for n in sizes:
            root = write_org(Path(tmp) / f"org-{n}", n)
            (root / "infra").symlink_to(ROOT / "infra")   # the program from this checkout
            cmds[f"plan {n} projects"] = [plumbing, "infra", "plan", "-s", "dogfooding", "--output", "json",
                                          "--root", str(root)]
        cmds["import SDK modules"] = [sys.executable, "-c", IMPORTS]
        times, outputs = alternate(cmds, args.runs, bench_env())
    for name, out in outputs.items():
        if name.startswith("plan") and not out:
            print(f"{name}: printed nothing (failed?)", file=sys.stderr)
            return 1
    med = report(times)
    floor = med["import SDK modules"]
    for n in sizes:
        print(f"ratio plan {n:>2}/import     {med[f'plan {n} projects'] / floor:.2f}x (target <= {TARGET:g}x at 30)")
    if len(sizes) >= 2:
        lo, hi = sizes[0], sizes[-1]
        a, b = med[f"plan {lo} projects"], med[f"plan {hi} projects"]
        print(f"growth {lo} -> {hi} projects  {b / a:.2f}x time for {hi / lo:.0f}x projects; "
              f"{(b - a) / (hi - lo) * 1000:.0f} ms per added project")
    return 0


if __name__ == "__main__":
    sys.exit(main())
