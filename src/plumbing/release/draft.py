"""The draft GitHub release of a full release: made once, updated in place, never duplicated.

- Only for a version whose release.yaml is in the bucket (the bucket is what was released).
- One draft per tag: the repository's releases are listed (drafts are only visible that way, not
  by tag) and the one for the tag is updated; a release already published is left alone.
- Two runs racing could both create one; after creating we list again and, when two drafts carry
  the tag, the newer one (ours or theirs) is deleted so exactly one remains.
- GitHub's "latest" badge (`make_latest`) only when the version is the highest release in the
  bucket: a backport never takes it.
- The bucket files are linked from the notes (their public URLs and sha256), not uploaded as
  assets: links cost no upload, cannot be half-uploaded, and stay the bucket's exact bytes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from plumbing import layout, versions
from plumbing.findings import CheckFailed


@dataclass
class DraftResult:
    action: str            # created | updated | unchanged
    id: int
    url: str
    make_latest: bool
    duplicates_removed: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self, tag: str) -> str:
        latest = " (marked latest)" if self.make_latest else ""
        return f"{self.action} draft release {tag}: {self.url}{latest}"


def is_highest(bucket, project: str, version: str) -> bool:
    released = layout.released_versions(bucket, project, versions.FULL)
    return layout.newest([*released, version]) == version


def releases_for_tag(client, repo: str, tag: str) -> list[dict]:
    return sorted((r for r in client.paginate(f"/repos/{repo}/releases") if r.get("tag_name") == tag),
                  key=lambda r: int(r["id"]))


def draft_release(client, bucket, project, version: str, body: str, revision: str | None = None) -> DraftResult:
    versions.parse_full(version)
    if not layout.release_exists(bucket, project.name, version):
        raise CheckFailed(f"{version} is not in the bucket ({layout.release_file(project.name, version, layout.MARKER)} "
                          "is missing): refusing to draft a GitHub release for it")
    repo = project.owner_repo
    latest = is_highest(bucket, project.name, version)
    wanted = {"tag_name": version, "name": f"{project.name} {version}", "body": body, "draft": True,
              "make_latest": "true" if latest else "false"}
    if revision:
        wanted["target_commitish"] = revision
    existing = releases_for_tag(client, repo, version)
    published = [r for r in existing if not r.get("draft")]
    if published:
        raise CheckFailed(f"{repo} already has a published release {version} ({published[0].get('html_url')}): "
                          "not changing it")
    if existing:
        mine = existing[0]
        if all(mine.get(k) == wanted[k] for k in ("name", "body")):
            return DraftResult("unchanged", int(mine["id"]), str(mine.get("html_url")), latest)
        update = {k: v for k, v in wanted.items() if k not in ("tag_name", "draft")}
        updated = client.patch(f"/repos/{repo}/releases/{int(mine['id'])}", update)
        return DraftResult("updated", int(updated["id"]), str(updated.get("html_url")), latest)
    created = client.post(f"/repos/{repo}/releases", wanted)
    result = DraftResult("created", int(created["id"]), str(created.get("html_url")), latest)
    drafts = [r for r in releases_for_tag(client, repo, version) if r.get("draft")]
    for extra in drafts[1:]:        # a concurrent run created one too: keep the oldest only
        client.delete(f"/repos/{repo}/releases/{int(extra['id'])}")
        result.duplicates_removed.append(int(extra["id"]))
    if drafts and int(drafts[0]["id"]) != result.id:
        result.action, result.id, result.url = "updated", int(drafts[0]["id"]), str(drafts[0].get("html_url"))
    return result
