"""Publishing a release to a bucket: `<bucket>/<project>/previous/<VERSION>/` and `latest/`.

The rules (docs/publishing.md has the long form):
- Before anything is written, DIR must hold release.yaml whose version labels name VERSION
  (no `devel`, no other version), and the bucket must be of VERSION's kind (nightly bucket for
  nightly tags, release bucket for vX.Y.Z) whatever the flags said.
- `previous/<VERSION>/release.yaml` marks "holds a release". It is uploaded LAST, after every
  other file is uploaded and its checksum verified, so an interrupted publish never looks
  published and a re-run finishes the job: files already there with the same MD5 are skipped,
  a file there with different content is refused before anything is written.
- A folder that already holds a release is refused (exit 1, nothing changed) unless every file
  in DIR is already there, byte for byte: that is a re-run of a publish that completed, and it
  only finishes `latest/` if that was interrupted.
- `latest/` moves only when VERSION is higher than every complete release of its kind under
  `previous/` (versions.latest_moves); it then mirrors `previous/<VERSION>/` exactly: copy
  (server-side) what differs, then delete what is not in the release.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from plumbing import layout
from plumbing.findings import CheckFailed, PlumbingError
from plumbing.org import MODE_KEYS
from plumbing.storage import AlreadyExists, Bucket, content_type_for, md5_b64
from plumbing.versions import FULL, NIGHTLY, VersionError, highest, latest_moves, parse

MARKER = layout.MARKER


# --- where ---------------------------------------------------------------------------------

def _bucket_name(url: str) -> tuple[str, str]:
    parts = urlsplit(url or "")
    if parts.scheme == "gs":
        return "gs", parts.netloc
    return parts.scheme, parts.path.rstrip("/")


def parse_version(version: str):
    try:
        return parse(version)
    except VersionError as exc:
        raise PlumbingError(str(exc)) from None


def bucket_for(org, version: str, override: str | None = None) -> str:
    """The bucket URL VERSION goes to: plumbing.yaml's nightly bucket for a nightly tag, the
    release bucket for vX.Y.Z. `override` (--bucket) may name another bucket, but never the
    other kind's configured bucket: a nightly into the release bucket, or a release into the
    nightly bucket, is refused (CheckFailed) whatever the flags."""
    kind = parse_version(version).kind
    other_kind = FULL if kind == NIGHTLY else NIGHTLY
    own_url, other_url = org.buckets.for_mode(kind), org.buckets.for_mode(other_kind)
    url = override or own_url
    if _bucket_name(url) == _bucket_name(other_url) and _bucket_name(url) != _bucket_name(own_url):
        what = "a nightly tag" if kind == NIGHTLY else "a release"
        own, other = MODE_KEYS[kind], MODE_KEYS[other_kind]
        raise CheckFailed(
            f"refusing to publish {what} ({version}) into the {other} bucket {other_url}: "
            f"{kind} versions go to the {own} bucket {own_url}"
        )
    return url


# --- what is in the bucket -----------------------------------------------------------------

def decide_latest(bucket: Bucket, project: str, version: str) -> tuple[bool, str]:
    """Does `latest/` move to VERSION? Compared with every other complete release of the same
    kind under previous/ (semver for releases, date then commit for nightlies)."""
    new = parse_version(version)
    top = highest(t for t in layout.released_versions(bucket, project, new.kind) if t != version)
    return latest_moves(version, top.tag if top else None)


# --- what is in DIR ------------------------------------------------------------------------

@dataclass(frozen=True)
class LocalFile:
    name: str  # relative, with /
    data: bytes = field(repr=False)
    md5: str
    content_type: str


def read_dir(src_dir: str | os.PathLike) -> list[LocalFile]:
    """Every regular file under DIR, release.yaml last."""
    root = Path(src_dir)
    if not root.is_dir():
        raise CheckFailed(f"{root}: not a folder")
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            path = Path(dirpath) / fn
            if not path.is_file():
                continue
            name = path.relative_to(root).as_posix()
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise PlumbingError(f"{path}: cannot read: {exc}") from None
            files.append(LocalFile(name, data, md5_b64(data), content_type_for(name)))
    files.sort(key=lambda f: (f.name == MARKER, f.name))
    return files


def _is_version_key(key: str) -> bool:
    return key in ("version", "release") or key.endswith(("/version", "/release"))


def version_label_problems(text: str, version: str, display: str = MARKER) -> list[str]:
    """Version labels in release.yaml that still say devel or name another version.

    devel: any `version`, `release`, `*/version` or `*/release` key anywhere whose value is
    `devel` (the same rule as release.devel.remaining_devel). Another version: those keys under
    a labels (or matchLabels) mapping, such as `app.kubernetes.io/version` and
    `pipeline.tekton.dev/release`, and a ConfigMap's data.version. The file is parsed once."""
    import yaml

    try:
        docs = list(yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError as exc:
        return [f"{display}: does not parse as YAML: {str(exc).splitlines()[0]}"]
    devel: list[str] = []
    other: list[str] = []

    def check(path: str, value) -> None:
        if value != "devel" and str(value) != version:
            other.append(f"{display}: {path} is {value!r}, not {version} (wrong resource version)")

    def walk(node, path, in_labels=False):
        if isinstance(node, dict):
            for k, v in node.items():
                key = str(k)
                here = path + [key]
                if _is_version_key(key):
                    if v == "devel":
                        devel.append(f"{display}: {'.'.join(here)} still says devel (wrong resource version)")
                    elif in_labels and isinstance(v, (str, int, float)):
                        check(".".join(here), v)
                walk(v, here, key in ("labels", "matchLabels") and isinstance(v, dict))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + [str(i)])

    for i, doc in enumerate(docs):
        walk(doc, [f"doc{i}"])
        if isinstance(doc, dict) and doc.get("kind") == "ConfigMap" and isinstance(doc.get("data"), dict) \
                and "version" in doc["data"]:
            check(f"doc{i}.data.version", doc["data"]["version"])
    return devel + other


def check_release_dir(files: list[LocalFile], version: str, src_dir: str) -> None:
    """Refuse (CheckFailed, before anything is uploaded) a DIR without release.yaml or whose
    release.yaml carries the wrong resource version."""
    marker = next((f for f in files if f.name == MARKER), None)
    if marker is None:
        raise CheckFailed(f"{src_dir}: no {MARKER}; nothing uploaded")
    try:
        text = marker.data.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckFailed(f"{src_dir}/{MARKER}: not UTF-8 text; nothing uploaded") from None
    problems = version_label_problems(text, version, f"{src_dir}/{MARKER}")
    if problems:
        err = CheckFailed(f"{problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
                          + "; nothing uploaded")
        err.problems = problems
        raise err


# --- publishing ----------------------------------------------------------------------------

@dataclass
class PublishResult:
    project: str
    version: str
    bucket: str
    folder: str
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already there, same checksum
    extra: list[str] = field(default_factory=list)  # in the folder, not in DIR
    already_published: bool = False
    latest: str = "auto"
    latest_moved: bool = False
    latest_reason: str = ""
    latest_copied: list[str] = field(default_factory=list)
    latest_deleted: list[str] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        if self.already_published:
            head = (f"{self.project} {self.version} was already published in {self.folder} "
                    f"with identical files; nothing uploaded")
        else:
            head = (f"published {self.project} {self.version} to {self.folder}: "
                    f"{len(self.uploaded)} uploaded, {len(self.skipped)} already there (same checksum)")
        out = [head]
        if self.extra:
            out.append(f"note: {self.folder} also holds {', '.join(self.extra)} (not in DIR)")
        if self.latest == "never":
            out.append("latest/: left alone (--latest never)")
        elif self.latest_moved and not (self.latest_copied or self.latest_deleted):
            out.append(f"latest/: already mirrors {self.version} ({self.latest_reason})")
        elif self.latest_moved:
            out.append(f"latest/: now mirrors {self.version} ({self.latest_reason}): "
                       f"{len(self.latest_copied)} copied, {len(self.latest_deleted)} deleted")
        else:
            out.append(f"latest/: left alone ({self.latest_reason})")
        out.extend(self.urls.values())
        return out


def publish(bucket: Bucket, project: str, version: str, src_dir, latest: str = "auto",
            public_base: str = "https://storage.googleapis.com") -> PublishResult:
    """Upload DIR to previous/<VERSION>/ (release.yaml last), verify checksums, then maybe
    move latest/. CheckFailed (exit 1) with nothing changed on any refusal."""
    if latest not in ("auto", "never"):
        raise PlumbingError(f"--latest must be auto or never, not {latest!r}")
    parse_version(version)
    files = read_dir(src_dir)
    check_release_dir(files, version, str(src_dir))

    folder = layout.release_folder(project, version)
    result = PublishResult(project, version, bucket.url, bucket.object_url(folder), latest=latest)
    there = {b.name[len(folder):]: b for b in bucket.list(folder)}
    local = {f.name: f for f in files}

    differing = [f.name for f in files if f.name in there and not _same(there[f.name], f)]
    if MARKER in there:
        missing = [name for name in local if name not in there]
        if differing or missing:
            why = []
            if differing:
                why.append(f"{', '.join(differing)} {'differs' if len(differing) == 1 else 'differ'} from DIR")
            if missing:
                why.append(f"DIR has {', '.join(missing)}, which the release lacks")
            raise CheckFailed(
                f"{result.folder} already holds a release; refusing to change it (nothing changed): "
                + "; ".join(why)
            )
        result.already_published = True
        result.skipped = [f.name for f in files]
    elif differing:
        raise CheckFailed(
            f"{result.folder} holds {', '.join(differing)} with other content than DIR "
            f"(an earlier, different publish?); nothing uploaded"
        )
    result.extra = sorted(name for name in there if name not in local)

    if not result.already_published:
        rest = [f for f in files if f.name != MARKER]
        for f in rest:
            if f.name in there:
                result.skipped.append(f.name)
                continue
            (result.uploaded if _create(bucket, folder, f) else result.skipped).append(f.name)
        _verify(bucket, folder, rest)
        marker = local[MARKER]
        (result.uploaded if _create(bucket, folder, marker) else result.skipped).append(MARKER)
        _verify(bucket, folder, [marker])

    for f in files:
        result.urls[f.name] = bucket.public_url(folder + f.name, public_base)
    # release.yaml first among the URLs: it is what people apply.
    result.urls = dict(sorted(result.urls.items(), key=lambda kv: (kv[0] != MARKER, kv[0])))

    if latest == "never":
        result.latest_reason = "--latest never"
        return result
    moves, reason = decide_latest(bucket, project, version)
    result.latest_moved, result.latest_reason = moves, reason
    if moves:
        result.latest_copied, result.latest_deleted = mirror_latest(bucket, project, version)
    return result


def _create(bucket: Bucket, folder: str, f: LocalFile) -> bool:
    """Create folder/name, never overwriting. False when an identical object appeared since we
    listed the folder (a concurrent publish of the same files); AlreadyExists (exit 1) when
    what appeared differs."""
    try:
        bucket.write(folder + f.name, f.data, content_type=f.content_type, if_absent=True)
        return True
    except AlreadyExists as exc:
        if exc.same_content:
            return False
        raise


def _same(blob, f: LocalFile) -> bool:
    if blob.md5:
        return blob.md5 == f.md5
    from plumbing.storage import crc32c_b64

    return blob.crc32c == crc32c_b64(f.data)


def _verify(bucket: Bucket, folder: str, files: list[LocalFile]) -> None:
    """Every file in `files` is in the bucket with our checksum (CheckFailed otherwise)."""
    there = {b.name[len(folder):]: b for b in bucket.list(folder)}
    bad = [f.name for f in files if f.name not in there or not _same(there[f.name], f)]
    if bad:
        raise CheckFailed(f"checksum verification failed for {', '.join(bad)} in {bucket.object_url(folder)}")


def mirror_latest(bucket: Bucket, project: str, version: str) -> tuple[list[str], list[str]]:
    """Make latest/ hold exactly what previous/<version>/ holds: copy what differs (release.yaml
    last), then delete the extra files. Returns (copied, deleted)."""
    src = layout.release_folder(project, version)
    dst = layout.latest_folder(project)
    release = {b.name[len(src):]: b for b in bucket.list(src)}
    current = {b.name[len(dst):]: b for b in bucket.list(dst)}
    copied = []
    for name in sorted(release, key=lambda n: (n == MARKER, n)):
        have = current.get(name)
        if have is not None and have.md5 and have.md5 == release[name].md5:
            continue
        bucket.copy(src + name, dst + name)
        copied.append(name)
    deleted = []
    for name in sorted(current):
        if name not in release:
            bucket.delete(dst + name)
            deleted.append(name)
    return copied, deleted


__all__ = [
    "FULL", "NIGHTLY", "MARKER", "PublishResult", "bucket_for", "check_release_dir", "decide_latest",
    "mirror_latest", "publish", "read_dir", "version_label_problems",
]
