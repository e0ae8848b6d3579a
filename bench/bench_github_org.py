"""Whole-process time of `plumbing infra plan -s dogfooding` on a scratch copy of this repository
whose github.yaml declares 30 repositories and 200 members, against the floor of importing the
SDK modules it needs, measured alternately in one run. Target: at most 3x.

Two floors are printed: bench_infra.py's hand-picked list plus pulumi_github, and every Pulumi
SDK module the plan actually leaves in sys.modules (measured first, in a separate process; the
GitHub provider's package alone loads 169). The same plan without the GitHub component shows
what the component adds per resource.

    python bench/bench_github_org.py [--runs 11] [--repos 30] [--members 200]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from timing import ROOT, alternate, bench_env, report

IMPORTS = ("import pulumi, pulumi_gcp.container, pulumi_gcp.storage, pulumi_kubernetes.core.v1, "
           "pulumi_kubernetes.batch.v1, pulumi_kubernetes.rbac.v1, pulumi_github")
TARGET = 3.0
SDK = ("pulumi", "pulumi_gcp", "pulumi_kubernetes", "pulumi_github")
# Run the plan in-process and print the SDK modules it imported.
NEEDED = """
import sys
from pathlib import Path
from plumbing.inventory.mocks import plan
plan(Path(sys.argv[1]), "dogfooding")
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in {sdk!r})))
"""


def github_yaml(shipped: dict, released: list[str], repos: int, members: int) -> dict:
    """The shipped organisation grown to `repos` repositories (the released ones first, then
    this one) and `members` people: each repository has a maintainers team, shared
    release-managers, triagers and readers teams."""
    names = released + ["plumbing"] + [f"extra-{i:02d}" for i in range(max(0, repos - len(released) - 1))]
    names = names[:repos]
    teams = {f"{n}-maintainers": {"description": f"Maintainers of {n}"} for n in names}
    teams.update({"release-managers": {"description": "releases"}, "triagers": {"description": "triage"},
                  "readers": {"description": "read-only", "privacy": "secret"}})
    people = {}
    for i in range(members):
        own = [f"{names[i % len(names)]}-maintainers"]
        own += ["release-managers"] if i % 25 == 0 else []
        own += ["triagers"] if i % 10 == 1 else []
        own += ["readers"] if i % 40 == 2 else []
        people[f"user-{i:03d}"] = own
    repositories = {n: {"description": n, "teams": {f"{n}-maintainers": "maintain", "release-managers": "maintain",
                                                    "triagers": "triage", "readers": "pull"}} for n in names}
    rest = [n for n in names if n != "plumbing"]
    protections = [{"repositories": rest, "branches": ["main", "release-v*"], "required_reviews": 1},
                   {"repositories": ["plumbing"], "branches": ["main"], "required_reviews": 1,
                    "required_checks": [f"{shipped['organisation']}/plumbing-pr-checks"]}]
    return {"organisation": shipped["organisation"], "defaults": shipped.get("defaults", {}), "labels": shipped["labels"],
            "teams": teams, "members": people, "repositories": repositories, "protections": protections}


def scratch(dest: Path, repos: int, members: int) -> Path:
    for name in ("plumbing.yaml", "Pulumi.yaml", "Pulumi.dogfooding.yaml"):
        shutil.copy(ROOT / name, dest / name)
    # The same stack without the GitHub component: what the rest of the plan costs.
    stack = (ROOT / "Pulumi.dogfooding.yaml").read_text()
    (dest / "Pulumi.nogithub.yaml").write_text(stack.replace("plumbing:githubOrg: true", "plumbing:githubOrg: false"))
    for folder in ("releases", "images", "cronjobs", "infra"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shipped = yaml.safe_load((ROOT / "github.yaml").read_text())
    released = sorted(p.stem for p in (ROOT / "releases").glob("*.yaml"))
    (dest / "github.yaml").write_text(yaml.safe_dump(github_yaml(shipped, released, repos, members), sort_keys=False))
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--repos", type=int, default=30)
    parser.add_argument("--members", type=int, default=200)
    args = parser.parse_args()
    plumbing = str(Path(sys.executable).parent / "plumbing")
    with tempfile.TemporaryDirectory(prefix="bench-github-") as tmp:
        root = scratch(Path(tmp), args.repos, args.members)
        plan_name = f"plan {args.repos} repos {args.members} members"
        needed = subprocess.run([sys.executable, "-c", NEEDED.format(sdk=SDK), str(root)], check=True,
                                capture_output=True, text=True, env=bench_env()).stdout.strip().splitlines()[-1]
        print(f"the plan imports {needed.count(',') + 1} SDK modules")
        cmds = {
            plan_name: [plumbing, "infra", "plan", "-s", "dogfooding", "--output", "json", "--root", str(root)],
            "import SDK modules": [sys.executable, "-c", IMPORTS],
            "import every SDK module": [sys.executable, "-c", f"import {needed}"],
            "plan without GitHub": [plumbing, "infra", "plan", "-s", "nogithub", "--output", "json", "--root", str(root)],
        }
        times, outputs = alternate(cmds, args.runs, bench_env())
        import json

        try:
            resources = json.loads(outputs[plan_name])["resources"]
        except ValueError:
            print(f"{plan_name}: the plan failed; run it by hand: {' '.join(cmds[plan_name])}")
            return 1
        github = sum(1 for r in resources if r["type"].startswith("github:"))
        print(f"{len(resources)} resources, {github} of them GitHub")
        med = report(times, width=32)
        per = (med[plan_name] - med["plan without GitHub"]) / github * 1000
        print(f"GitHub component         {per:.2f} ms per resource (the difference of the two plans)")
        for floor in ("import SDK modules", "import every SDK module"):
            ratio = med[plan_name] / med[floor]
            print(f"ratio plan/{floor:<24} {ratio:.2f}x (target <= {TARGET:g}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
