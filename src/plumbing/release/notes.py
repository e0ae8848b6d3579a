"""Release notes: the pull requests a release brings, sorted by kind, with what to install and
how to verify it. A pure function of the git history (release/history.py), the repository's
pull requests and the release's bucket files.

Pull requests come from one paged list call (`GET /repos/{repo}/pulls?state=closed&sort=updated
&direction=desc`), read until the PRs were last updated before the range began: a PR merged in
the range was updated at or after its merge. A PR belongs to the release when its
`merge_commit_sha` is a commit of the range (squash, merge and rebase merges alike); no request is
made per pull request.

Choices, as the issue asked us to make them:
- a PR whose note is `NONE` (or that carries `release-note-none`) is listed under its section,
  title only: what went in stays visible, it just has no user-facing text;
- a PR with no `kind/*` label goes to a visible "Unsorted" section; one with several goes to the
  first section of SECTIONS it matches, so every PR lands in exactly one section;
- thanks go to every PR author, bots (logins ending in `[bot]`) left out.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from plumbing.ages import parse_iso

# (kind labels, section title), in the order a PR with several kinds is placed and sections print.
SECTIONS: list[tuple[tuple[str, ...], str]] = [
    (("kind/api-change",), "API changes"),
    (("kind/deprecation",), "Deprecations"),
    (("kind/feature",), "Features"),
    (("kind/bug", "kind/fix"), "Fixes"),
    (("kind/documentation", "kind/docs"), "Docs"),
    (("kind/misc", "kind/cleanup", "kind/flake", "kind/tests", "kind/design", "kind/chore"), "Misc"),
]
UNSORTED = "Unsorted (no kind/* label)"
NONE_LABEL = "release-note-none"
_NOTE = re.compile(r"```release-note[ \t]*\r?\n(.*?)```", re.S)
_IMAGE = re.compile(r"([a-z0-9.:/_-]+?)(?::([\w][\w.-]{0,127}))?@(sha256:[0-9a-f]{64})")
# A PR updated this long before the range began cannot have been merged in it (clock skew slack).
SLACK = timedelta(days=1)


@dataclass
class PullNote:
    number: int
    title: str
    author: str
    url: str
    section: str
    note: str | None          # the release-note text; None for NONE or no block
    note_none: bool           # said NONE (block or label): listed without text
    merge_commit: str


@dataclass
class Notes:
    project: str
    repository: str
    version: str
    previous: str | None
    revision: str
    base: str | None
    install: str | None
    files: list[dict] = field(default_factory=list)      # [{name, url, sha256}]
    images: list[dict] = field(default_factory=list)     # [{image, tag, digest}]
    verify: list[str] = field(default_factory=list)
    transparency: str | None = None                      # the Rekor entry of Chains' signature
    sections: dict[str, list[PullNote]] = field(default_factory=dict)
    authors: list[str] = field(default_factory=list)
    without_pr: list[str] = field(default_factory=list)  # first-parent commits no PR merged
    left_out: list[int] = field(default_factory=list)    # PRs whose change the previous release had
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["sections"] = {k: [asdict(p) for p in v] for k, v in self.sections.items()}
        data["pull_requests"] = sum(len(v) for v in self.sections.values())
        return data


def section_of(labels: list[str]) -> str:
    names = set(labels)
    for kinds, title in SECTIONS:
        if names & set(kinds):
            return title
    return UNSORTED


def release_note(body: str | None, labels: list[str]) -> tuple[str | None, bool]:
    """(note text, said NONE) from a PR body's ```release-note block and its labels."""
    m = _NOTE.search(body or "")
    text = m.group(1).strip() if m else None
    if NONE_LABEL in labels or (text is not None and text.upper() == "NONE"):
        return None, True
    return (text or None), False


def merged_pulls(client, repo: str, commits: set[str], since: datetime | None):
    """The closed PRs whose merge commit is in `commits`, from one paged list, newest update first."""
    found = {}
    for pull in client.paginate(f"/repos/{repo}/pulls", {"state": "closed", "sort": "updated", "direction": "desc"}):
        updated = parse_iso(pull.get("updated_at"))
        if since is not None and updated is not None and updated < since - SLACK:
            break
        sha = pull.get("merge_commit_sha")
        if pull.get("merged_at") and sha in commits and sha not in found:
            found[sha] = pull
    return found




def pull_note(pull: dict) -> PullNote:
    labels = [lb["name"] for lb in pull.get("labels") or [] if isinstance(lb, dict) and lb.get("name")]
    note, none = release_note(pull.get("body"), labels)
    return PullNote(number=int(pull["number"]), title=str(pull.get("title") or "").strip(),
                    author=str((pull.get("user") or {}).get("login") or ""), url=str(pull.get("html_url") or ""),
                    section=section_of(labels), note=note, note_none=none,
                    merge_commit=str(pull.get("merge_commit_sha")))


def sort_into_sections(pulls: list[PullNote]) -> dict[str, list[PullNote]]:
    order = [title for _, title in SECTIONS] + [UNSORTED]
    sections: dict[str, list[PullNote]] = {title: [] for title in order}
    for p in sorted(pulls, key=lambda p: p.number):
        sections[p.section].append(p)
    return {k: v for k, v in sections.items() if v}


def authors(pulls: list[PullNote]) -> list[str]:
    return sorted({p.author for p in pulls if p.author and not p.author.endswith("[bot]")}, key=str.lower)


def images_of(release_yaml: str) -> list[dict]:
    """Every `repo[:tag]@sha256:...` reference in release.yaml, once each, in order."""
    seen, out = set(), []
    for m in _IMAGE.finditer(release_yaml):
        image, tag, digest = m.groups()
        if (image, digest) not in seen:
            seen.add((image, digest))
            out.append({"image": image, "tag": tag, "digest": digest})
    return out


def bucket_files(bucket, folder: str, url_of) -> list[dict]:
    """[{name, url, sha256}] of the release's published files (run records such as logs.txt left out)."""
    from plumbing import layout

    out = []
    for blob in sorted(bucket.list(folder), key=lambda b: b.name):
        name = blob.name[len(folder):]
        if not name or "/" in name or name in layout.RUN_RECORDS:
            continue
        out.append({"name": name, "url": url_of(name), "sha256": hashlib.sha256(bucket.read(blob.name)).hexdigest()})
    return out


def verify_commands(images: list[dict], key: str) -> list[str]:
    """cosign commands a user runs to check the signatures and the SLSA provenance Chains made."""
    cmds = []
    for img in images:
        ref = f"{img['image']}@{img['digest']}"
        cmds.append(f"cosign verify --key {key} {ref}")
        cmds.append(f"cosign verify-attestation --key {key} --type slsaprovenance {ref}")
    return cmds


def markdown(n: Notes) -> str:
    # The notes are a sequence of sections; each step returns its lines, blank line included.
    lines = _md_header(n) + _md_install(n) + _md_images(n) + _md_pull_requests(n) + _md_credits(n)
    return "\n".join(lines)


def _md_header(n: Notes) -> list[str]:
    """Title, the compare link and any warnings."""
    lines = [f"# {n.project} {n.version}", ""]
    if n.previous:
        lines += [f"Changes since {n.previous} ({n.repository}/compare/{n.previous}...{n.version}).", ""]
    for w in n.warnings:
        lines += [f"> **Warning:** {w}", ""]
    return lines


def _md_install(n: Notes) -> list[str]:
    """The install command and the published files with their checksums."""
    lines = ["## Install", ""]
    lines += (["```sh", n.install, "```", ""] if n.install else ["_release.yaml is not in the bucket yet._", ""])
    if n.files:
        lines += ["| file | sha256 |", "| --- | --- |"]
        lines += [f"| [{f['name']}]({f['url']}) | `{f['sha256']}` |" for f in n.files]
        lines.append("")
    return lines


def _md_images(n: Notes) -> list[str]:
    """The images by digest, how to verify them, and the transparency log entry."""
    lines = []
    if n.images:
        lines += ["## Images", ""] + [f"- `{i['image']}@{i['digest']}`" for i in n.images] + [""]
        lines += ["## Verify", "", "Signatures and SLSA provenance made by Tekton Chains:", "", "```sh"]
        lines += n.verify + ["```", ""]
    if n.transparency:
        lines += [f"Transparency log entry of the signatures: {n.transparency}", ""]
    return lines


def _md_pull_requests(n: Notes) -> list[str]:
    """One section per label group, each pull request by its release note (or else its title)."""
    lines = []
    for title, pulls in n.sections.items():
        lines += [f"## {title}", ""]
        for p in pulls:
            lines += _md_pull(p)
        lines.append("")
    if not n.sections:
        lines += ["_No pull requests were merged in this release._", ""]
    return lines


def _md_pull(p: PullNote) -> list[str]:
    text = p.note if p.note else p.title
    more = "" if p.note or p.note_none else " _(no release note)_"
    lines = [f"- {_one_line(text)} ([#{p.number}]({p.url}), @{p.author}){more}"]
    if p.note and p.note != p.title:
        lines.append(f"  <sub>{_one_line(p.title)}</sub>")
    return lines


def _md_credits(n: Notes) -> list[str]:
    """Commits that came without a pull request, and the authors to thank."""
    lines = []
    if n.without_pr:
        lines += ["## Commits without a pull request", ""] + [f"- {c}" for c in n.without_pr] + [""]
    if n.authors:
        lines += ["## Thanks", "", "Thanks to " + ", ".join(f"@{a}" for a in n.authors) + ".", ""]
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())


def now() -> datetime:
    return datetime.now(UTC)


def make_notes(project, version: str, revision: str, *, git_dir, client, previous: str | None = None,
               bucket=None, bucket_url: str | None = None, public_base: str | None = None,
               cosign_key: str, transparency: str | None = None) -> Notes:
    """The notes of `project` at `version` (`revision`), compared with `previous` (default: the
    previous release of the same line, from the repository's tags)."""
    from plumbing import layout, versions
    from plumbing.findings import PlumbingError
    from plumbing.release import history as h

    versions.parse_full(version)
    versions.check_revision(revision)
    if not h.resolve_or_none(git_dir, revision):
        raise PlumbingError(f"revision {revision} is not in {project.repository}")
    previous = previous or h.previous_release(version, h.tags(git_dir))
    notes = Notes(project=project.name, repository=project.repository.removesuffix(".git"), version=version,
                  previous=previous, revision=revision, base=None, install=None, transparency=transparency or None)
    branch = h.release_branch(version)
    if branch:
        on = h.on_branch(git_dir, revision, branch)
        if not on:
            notes.warnings.append(f"revision {revision[:12]} is not on {branch}"
                                  + (" (no such branch)" if on is None else "") + f": a patch release is cut from {branch}")
    if previous:
        if not h.resolve_or_none(git_dir, f"refs/tags/{previous}"):
            raise PlumbingError(f"previous release {previous} is not a tag of {project.repository}")
        hist = h.history(git_dir, previous, revision)
        since = datetime.fromtimestamp(h.commit_time(git_dir, hist.base), UTC)
    else:   # the first release: everything up to the revision
        notes.warnings.append(f"no release before {version}: every pull request up to the revision is listed")
        all_commits = h.git(git_dir, "rev-list", revision).split()
        first = h.git(git_dir, "rev-list", "--first-parent", "--no-merges", revision).split()
        hist, since = h.History(base="", commits=all_commits, first_parent=first), None
    notes.base = hist.base or None
    pulls = merged_pulls(client, project.owner_repo, set(hist.commits), since)
    kept = [pull_note(p) for sha, p in pulls.items() if sha not in hist.shipped]
    notes.left_out = sorted(int(p["number"]) for sha, p in pulls.items() if sha in hist.shipped)
    notes.sections = sort_into_sections(kept)
    notes.authors = authors(kept)
    merged_by_pr = set(pulls)
    notes.without_pr = [c for c in hist.first_parent if c not in merged_by_pr and c not in hist.shipped]
    if bucket is not None and layout.release_exists(bucket, project.name, version):
        folder = layout.release_folder(project.name, version)
        notes.files = bucket_files(bucket, folder, lambda name: layout.public_url(bucket_url, folder + name, public_base))
        notes.install = f"kubectl apply -f {layout.public_url(bucket_url, folder + layout.RELEASE_YAML, public_base)}"
        notes.images = images_of(bucket.read(folder + layout.RELEASE_YAML).decode(errors="replace"))
        notes.verify = verify_commands(notes.images, cosign_key)
    elif bucket is not None:
        notes.warnings.append(f"{version} is not in the bucket yet: no install line, files or images")
    return notes
