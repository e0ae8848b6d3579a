"""Loading cronjobs/<name>.yaml: the scheduled jobs that are not nightlies or image builds.

One small file per job (dashboard refresh, stale-nightly watch, ...), checked by
schemas/cronjob.yaml. No Pulumi import: `plumbing lint` can use it too.
"""

from __future__ import annotations

import re
from pathlib import Path

from plumbing.config import cron_problem, parse_go_duration, read_yaml, schema_findings
from plumbing.findings import ConfigError, Finding

CRONJOBS_DIR = "cronjobs"
_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?", re.ASCII)
DEFAULT_RESOURCES = {"cpu": "100m", "memory": "256Mi"}


def check_jobs(root: Path) -> tuple[dict[str, dict], list[Finding]]:
    jobs: dict[str, dict] = {}
    findings: list[Finding] = []
    folder = Path(root) / CRONJOBS_DIR
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        name = path.name.rsplit(".", 1)[0]
        display = f"{CRONJOBS_DIR}/{path.name}"
        if not _NAME.fullmatch(name):
            findings.append(Finding(display, 1, 1, "error", "cronjob-config",
                                    f"file name {name!r} is not a short Kubernetes name"))
            continue
        doc, errs = read_yaml(path, display)
        if doc is None:
            findings += errs
            continue
        errs = schema_findings(doc, "cronjob.yaml", display, "cronjob-config")
        if errs:
            findings += errs
            continue
        job = dict(doc.data)
        job["name"] = name
        job.setdefault("buckets", {})
        job.setdefault("rules", [])
        job.setdefault("resources", dict(DEFAULT_RESOURCES))
        problem = cron_problem(job["schedule"])
        if problem:
            line, col = doc.position(("schedule",))
            findings.append(Finding(display, line, col, "error", "cronjob-config", f"schedule: {problem}"))
        seconds = parse_go_duration(job["deadline"])
        if not seconds or seconds < 60 or seconds > 24 * 3600:
            line, col = doc.position(("deadline",))
            findings.append(Finding(display, line, col, "error", "cronjob-config",
                                    f"deadline: {job['deadline']!r} must be between 1m and 24h"))
            continue
        job["deadline_seconds"] = int(seconds)
        if "writer" in job["buckets"].values() and not job.get("prefix"):
            line, col = doc.position(("buckets",))
            findings.append(Finding(display, line, col, "error", "cronjob-config",
                                    "buckets: a writer needs `prefix`, the object names its writes are limited to"))
        for i, rule in enumerate(job["rules"]):
            if "*" in rule["api_groups"] or "*" in rule["resources"]:
                line, col = doc.position(("rules", i))
                findings.append(Finding(display, line, col, "error", "cronjob-config",
                                        f"rules.{i}: wildcards are not allowed; name each group and resource"))
        jobs[name] = job
    return jobs, findings


def load_jobs(repo) -> dict[str, dict]:
    jobs, findings = check_jobs(repo.root)
    if findings:
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        raise ConfigError(findings[0].format() + more, findings=findings)
    return jobs
