"""Whole-process wall time of `plumbing lint` over ../shared/corpus/catalog and
../shared/corpus/plumbing (Tekton Triggers objects and CEL expressions included), with every rule
and with the Triggers and CEL rules turned off, against tekton-lint (npm @ibm/tekton-lint,
installed into a temporary folder) over the same files and against a bare PyYAML CSafeLoader
parse of the same files (a `python -c` subprocess), measured alternately in one run. Targets:
plumbing lint <= 1.5x the bare parse, and >= 4x faster than tekton-lint.

    python bench/bench_lint.py [--runs 7] [--no-tekton-lint]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import ROOT, alternate, bench_env, report

CATALOG = (ROOT / ".." / "shared" / "corpus" / "catalog").resolve()
PLUMBING = (ROOT / ".." / "shared" / "corpus" / "plumbing").resolve()
CORPUS = (CATALOG, PLUMBING)
# the areas (rule modules) that "without Triggers and CEL" turns off
NEW_AREAS = ("triggers", "triggers_refs", "cel")

BARE = """
import os, sys, yaml
n = 0
for top in sys.argv[1:]:
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(('.yaml', '.yml')):
                with open(os.path.join(root, f), encoding='utf-8') as fh:
                    try:
                        n += sum(1 for _ in yaml.load_all(fh.read(), Loader=yaml.CSafeLoader))
                    except yaml.YAMLError:
                        pass
print(n)
"""


def install_tekton_lint() -> Path | None:
    npm = shutil.which("npm")
    if not npm:
        print("npm not found: skipping tekton-lint")
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench-tekton-lint-"))
    proc = subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix",
                           str(folder), "@ibm/tekton-lint"], capture_output=True, text=True)
    script = folder / "node_modules" / "@ibm" / "tekton-lint" / "dist" / "lint.js"
    if proc.returncode != 0 or not script.is_file():
        print(f"npm install @ibm/tekton-lint failed: skipping it\n{proc.stderr[-500:]}")
        return None
    return script


def _config_without(areas) -> str:
    """A .plumbing-lint.yaml turning off every rule of the given areas."""
    from plumbing.lint.registry import all_rules

    off = sorted(r.id for r in all_rules().values() if r.area in areas)
    return "rules:\n" + "".join(f"  {rid}: off\n" for rid in off)


def _commands(no_tekton_lint: bool, files: list[str], env: dict):
    """The commands to time, and the folder to run them in."""
    plumbing = str(Path(sys.executable).parent / "plumbing")
    without = Path(tempfile.mkdtemp(prefix="bench-lint-")) / "no-triggers-cel.yaml"
    without.write_text(_config_without(NEW_AREAS), encoding="utf-8")
    cmds = {
        "plumbing lint": [plumbing, "lint", "--format", "json", *map(str, CORPUS)],
        "lint w/o Triggers+CEL": [plumbing, "lint", "--format", "json", "--config", str(without),
                                  *map(str, CORPUS)],
        "bare CSafeLoader parse": [sys.executable, "-c", BARE, *map(str, CORPUS)],
    }
    cwd = ROOT
    if not no_tekton_lint:
        script = install_tekton_lint()
        if script is not None:
            cache = tempfile.mkdtemp(prefix="bench-tl-cache-")
            cwd = Path(tempfile.mkdtemp(prefix="bench-tl-cwd-"))  # no .tektonlintrc around
            env["TL_CACHE_DIR"] = cache
            cmds["tekton-lint"] = ["node", str(script), "--no-color", "--format", "json", *files]
    return cmds, cwd


def _print_findings(outputs: dict) -> None:
    mine = json.loads(outputs["plumbing lint"] or b"[]")
    sev = {s: sum(1 for f in mine if f["severity"] == s) for s in ("error", "warning")}
    print(f"plumbing lint findings: {len(mine)} ({sev['error']} errors, {sev['warning']} warnings)")
    if "tekton-lint" in outputs:
        first = (outputs["tekton-lint"].decode(errors="replace").splitlines() or ["[]"])[0]
        try:
            theirs = json.loads(first)
            tsev = {s: sum(1 for f in theirs if f.get("level") == s) for s in ("error", "warning")}
            print(f"tekton-lint findings:   {len(theirs)} ({tsev['error']} errors, "
                  f"{tsev['warning']} warnings)")
        except ValueError:
            print("tekton-lint findings: output was not JSON")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-tekton-lint", action="store_true")
    args = parser.parse_args()
    missing = [str(c) for c in CORPUS if not c.is_dir()]
    if missing:
        print(f"{', '.join(missing)} missing: nothing to measure")
        return 2
    files = sorted(str(p) for c in CORPUS for p in c.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    env = bench_env()
    cmds, cwd = _commands(args.no_tekton_lint, files, env)
    times, outputs = alternate(cmds, args.runs, env, cwd)
    print(f"{len(files)} files under {', '.join(map(str, CORPUS))}")
    med = report(times)
    _print_findings(outputs)
    ratio = med["plumbing lint"] / med["bare CSafeLoader parse"]
    print(f"ratio plumbing lint / bare parse   {ratio:.2f}x (target <= 1.5x)")
    ratio = med["lint w/o Triggers+CEL"] / med["bare CSafeLoader parse"]
    print(f"  without Triggers and CEL rules   {ratio:.2f}x")
    if "tekton-lint" in med:
        speed = med["tekton-lint"] / med["plumbing lint"]
        print(f"speed-up over tekton-lint          {speed:.2f}x (target >= 4x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
