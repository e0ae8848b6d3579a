"""What runs, what should run, what could run: one row per component a stack installs.

For each component: the version git pins (the stack file), the version the cluster runs (the
`app.kubernetes.io/version` label Tekton's release files put on their Deployments, and the
image digests those run), the newest full release and nightly in our buckets with their
post-release verdicts (tested.json), and the newest upstream release on GitHub.

Marks (text, so no colour is needed to read them):
- drift: the cluster runs something else than git pins (another version, several versions,
  or an image digest that is not in the pinned release's release.yaml);
- behind: a newer verified version exists on the component's channel;
- unverified: the pinned version's post-release test did not pass (failed or untested);
- unknown: what runs could not be read (no Deployment, no version label).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from plumbing import components, layout, versions
from plumbing.components import NIGHTLY, PINNED, RELEASE
from plumbing.verdict import PASSED, UNTESTED, read_verdict

DRIFT, BEHIND, UNVERIFIED, UNKNOWN = "drift", "behind", "unverified", "unknown"
VERSION_LABELS = ("app.kubernetes.io/version", "pipeline.tekton.dev/release")
MANAGED = "app.kubernetes.io/managed-by=plumbing"
_DIGEST = re.compile(r"@(sha256:[0-9a-f]{64})")
# How many versions, newest first, we look through for the newest verified one.
VERIFY_DEPTH = 20


@dataclass
class Newest:
    version: str | None = None          # the newest published
    verdict: str | None = None          # its post-release verdict
    verified: str | None = None         # the newest whose verdict is passed


@dataclass
class Row:
    component: str
    channel: str
    pinned: str
    pinned_verdict: str | None = None
    deployed: list[str] = field(default_factory=list)   # versions the cluster runs (several: mixed)
    images: list[str] = field(default_factory=list)
    release: Newest = field(default_factory=Newest)
    nightly: Newest = field(default_factory=Newest)
    upstream: str | None = None
    candidate: str | None = None        # what promotion would propose
    marks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    stack: str
    offline: bool
    rows: list[Row]
    sources: dict

    @property
    def drift(self) -> bool:
        return any(DRIFT in r.marks for r in self.rows)

    def to_dict(self) -> dict:
        return {"stack": self.stack, "offline": self.offline, "sources": self.sources,
                "drift": self.drift, "components": [r.to_dict() for r in self.rows]}


# --- reading ---------------------------------------------------------------------------------

def digests(text: str) -> set[str]:
    return set(_DIGEST.findall(text))


def deployed(target, component: components.Component) -> tuple[list[str], list[str]]:
    """(versions, images) of the component's Deployments: [] when there are none."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    try:
        listing = client.AppsV1Api(target.api_client).list_namespaced_deployment(
            component.namespace, label_selector=f"app.kubernetes.io/part-of={component.part_of}")
    except ApiException as exc:
        if exc.status == 404:
            return [], []
        from plumbing.cluster.kube import api_error
        from plumbing.findings import PlumbingError

        raise PlumbingError(f"reading {component.name}'s Deployments in {component.namespace}: {api_error(exc)}") from None
    found, images = set(), set()
    for dep in listing.items:
        labels = dep.metadata.labels or {}
        if labels.get("app.kubernetes.io/part-of") != component.part_of:
            continue   # the selector already says so; an API server that ignores it must not mislead us
        version = next((labels[k] for k in VERSION_LABELS if labels.get(k)), None)
        if version:
            found.add(version)
        for c in dep.spec.template.spec.containers or []:
            images.add(c.image)
    return sorted(found, key=versions.sort_key), sorted(images)


def deployed_plumbing_images(target) -> list[str]:
    """The images the plumbing CronJobs run (all namespaces)."""
    from kubernetes import client

    jobs = client.BatchV1Api(target.api_client).list_cron_job_for_all_namespaces(label_selector=MANAGED)
    return sorted({c.image for j in jobs.items if (j.metadata.labels or {}).get("app.kubernetes.io/managed-by") == "plumbing"
                   for c in j.spec.job_template.spec.template.spec.containers or []})


def newest(bucket, project: str, kind: str) -> Newest:
    """The newest published version of `kind`, its verdict, and the newest verified one."""
    tags = layout.newest_first(layout.released_versions(bucket, project, kind))
    out = Newest()
    for i, tag in enumerate(tags[:VERIFY_DEPTH]):
        verdict = read_verdict(bucket, project, tag)
        result = verdict.verdict if verdict else UNTESTED
        if i == 0:
            out.version, out.verdict = tag, result
        if result == PASSED:
            out.verified = tag
            break
    return out


def upstream_release(client, repo: str) -> str | None:
    """The newest published full release on GitHub (drafts and pre-releases left out)."""
    tags = []
    for rel in client.get(f"/repos/{repo}/releases", {"per_page": 30}) or []:
        if rel.get("draft") or rel.get("prerelease"):
            continue
        if layout.of_kind(rel.get("tag_name") or "", versions.FULL):
            tags.append(rel["tag_name"])
    return layout.newest(tags)


def candidate(row: Row) -> str | None:
    """The newest verified version on the row's channel; a pinned component looks at its pin's kind."""
    channel = row.channel
    if channel == PINNED:
        try:
            channel = NIGHTLY if components.kind_of(row.pinned) == versions.NIGHTLY else RELEASE
        except versions.VersionError:
            return None
    return row.nightly.verified if channel == NIGHTLY else row.release.verified


# --- marks -----------------------------------------------------------------------------------

def mark(row: Row, *, cluster: bool, buckets: bool, pinned_digests: set[str] | None) -> None:
    if cluster:
        if not row.deployed:
            row.marks.append(UNKNOWN)
            row.notes.append("no Deployment with a version label" if not row.images else "no version label")
        elif row.deployed != [row.pinned]:
            row.marks.append(DRIFT)
            row.notes.append(f"runs {', '.join(row.deployed)}, git pins {row.pinned}")
        elif pinned_digests is not None:
            foreign = [i for i in row.images if (m := _DIGEST.search(i)) and m.group(1) not in pinned_digests]
            if foreign:
                row.marks.append(DRIFT)
                row.notes.append(f"image not in {row.pinned}'s release.yaml: {foreign[0]}")
    if buckets:
        row.candidate = candidate(row)
        if components.newer(row.candidate, row.pinned):
            row.marks.append(BEHIND)
            row.notes.append(f"{row.candidate} is verified")
        if row.pinned_verdict != PASSED:
            row.marks.append(UNVERIFIED)
            row.notes.append(f"{row.pinned}: post-release test {row.pinned_verdict or UNTESTED}")


def plumbing_row(repo, target) -> Row:
    pinned = repo.org.tool_images.get("plumbing", "")
    row = Row(component=components.PLUMBING_IMAGE, channel=PINNED, pinned=pinned)
    if target is not None:
        row.images = deployed_plumbing_images(target)
        row.deployed = list(row.images)
        if not row.images:
            row.marks.append(UNKNOWN)
            row.notes.append("no plumbing CronJob found")
        elif row.images != [pinned]:
            row.marks.append(DRIFT)
            row.notes.append(f"CronJobs run {', '.join(row.images)}")
    return row


def collect(repo, stack: str, *, offline: bool = False, target=None, open_bucket=None, github=None) -> Report:
    """The report for `stack`. Offline: only what git pins. Otherwise `target` (a connected
    cluster), `open_bucket` (url -> Bucket) and `github` (a Client) are each read when given."""
    pins = components.read_pins(repo.root, stack)
    if offline:
        target = open_bucket = github = None
    rows = []
    buckets = {}

    def bucket(url):
        if url not in buckets:
            buckets[url] = open_bucket(url)
        return buckets[url]

    for comp in components.TEKTON:
        row = Row(component=comp.name, channel=pins.channel(comp.name), pinned=pins.versions[comp.name])
        pinned_digests = None
        if target is not None:
            row.deployed, row.images = deployed(target, comp)
        if open_bucket is not None:
            row.release = newest(bucket(repo.org.buckets.release), comp.name, versions.FULL)
            row.nightly = newest(bucket(repo.org.buckets.nightly), comp.name, versions.NIGHTLY)
            pinned_bucket = bucket(components.bucket_for(repo.org, row.pinned))
            verdict = read_verdict(pinned_bucket, comp.name, row.pinned)
            row.pinned_verdict = verdict.verdict if verdict else UNTESTED
            if target is not None and layout.release_exists(pinned_bucket, comp.name, row.pinned):
                pinned_digests = digests(pinned_bucket.read(
                    layout.release_file(comp.name, row.pinned, layout.RELEASE_YAML)).decode("utf-8", "replace"))
        if github is not None:
            from plumbing.github import NotFound

            try:
                row.upstream = upstream_release(github, comp.upstream)
            except NotFound:
                row.notes.append(f"GitHub has no repository {comp.upstream} (or the token cannot see it)")
        mark(row, cluster=target is not None, buckets=open_bucket is not None, pinned_digests=pinned_digests)
        rows.append(row)
    rows.append(plumbing_row(repo, target))
    sources = {"git": str(pins.path.name), "cluster": target.description if target is not None else None,
               "buckets": sorted(buckets) if open_bucket is not None else None,
               "github": github.base_url if github is not None else None}
    return Report(stack, offline, rows, sources)


# --- showing ---------------------------------------------------------------------------------

def _newest_text(n: Newest) -> str:
    if not n.version:
        return "-"
    text = f"{n.version} ({n.verdict})"
    if n.verified and n.verified != n.version:
        text += f", verified {n.verified}"
    return text


def text(report: Report) -> str:
    head = ("COMPONENT", "CHANNEL", "PINNED", "DEPLOYED", "RELEASE", "NIGHTLY", "UPSTREAM", "MARKS")
    lines = [head]
    for r in report.rows:
        lines.append((r.component, r.channel, r.pinned, ", ".join(r.deployed) or "-", _newest_text(r.release),
                      _newest_text(r.nightly), r.upstream or "-", "-" if report.offline else ", ".join(r.marks) or "ok"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head) - 1)]
    out = ["  ".join(c.ljust(w) for c, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1]
           for line in lines]
    out.append("")
    for r in report.rows:
        for note in r.notes:
            out.append(f"{r.component}: {note}")
    if report.offline:
        out.append("offline: only what git pins was read; the cluster, the buckets and GitHub were not")
    else:
        skipped = [k for k in ("cluster", "buckets", "github") if not report.sources.get(k)]
        if skipped:
            out.append(f"not read: {', '.join(skipped)}")
    return "\n".join(out).rstrip() + "\n"
