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

import errno
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from plumbing import layout
from plumbing.findings import CheckFailed, PlumbingError
from plumbing.org import MODE_KEYS
from plumbing.storage import AlreadyExists, Bucket, bad_name_reason, content_type_for, md5_b64
from plumbing.versions import FULL, NIGHTLY, VersionError, latest_moves, parse

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
    kind under previous/ (semver for releases, date then commit for nightlies). Lists the
    version folders only, then looks for release.yaml from the highest down."""
    new = parse_version(version)
    top = layout.newest_release(bucket, project, new.kind, exclude={version})
    return latest_moves(version, top[0] if top else None)


# --- what is in DIR ------------------------------------------------------------------------

@dataclass(frozen=True)
class LocalFile:
    name: str  # relative, with /
    data: bytes = field(repr=False)
    md5: str
    content_type: str


def read_dir(src_dir: str | os.PathLike) -> list[LocalFile]:
    """Every file under DIR, release.yaml last. Refused (PlumbingError, exit 2, before anything
    is uploaded), naming the path: a symlink anywhere (to a file or a folder: in the cluster the
    release workspace sits next to mounted credentials), anything but regular files and
    folders, and names that are not UTF-8 or hold control characters. Files are opened with
    O_NOFOLLOW, so a symlink swapped in after the walk is not followed either."""
    root = Path(src_dir)
    if not root.is_dir():
        raise PlumbingError(f"{root}: not a folder")
    files = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=_walk_error):
        dirnames.sort()
        for name in list(dirnames) + sorted(filenames):
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            _check_entry(root, path, rel)
            if name in filenames:
                data = _read_no_follow(path)
                files.append(LocalFile(rel, data, md5_b64(data), content_type_for(rel)))
    files.sort(key=lambda f: (f.name == MARKER, f.name))
    return files


def _walk_error(exc: OSError):
    raise PlumbingError(f"{exc.filename}: cannot read: {exc.strerror}")


def _shown(root: Path, rel: str) -> str:
    """The path on one line: newlines and undecodable bytes escaped."""
    return repr(str(root / rel))[1:-1]


def _check_entry(root: Path, path: Path, rel: str) -> None:
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        raise PlumbingError(f"{_shown(root, rel)}: cannot read: {exc.strerror}") from None
    if stat.S_ISLNK(mode):
        raise PlumbingError(f"{_shown(root, rel)} is a symlink (to {os.readlink(path)!r}); a release folder "
                          f"holds regular files only; nothing uploaded")
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise PlumbingError(f"{_shown(root, rel)} is not a regular file or folder; nothing uploaded")
    reason = bad_name_reason(rel)
    if reason:
        raise PlumbingError(f"{_shown(root, rel)}: {reason}; file names must be UTF-8 without control "
                          f"characters; nothing uploaded")


def _read_no_follow(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PlumbingError(f"{path} became a symlink while it was read; nothing uploaded") from None
        raise PlumbingError(f"{path}: cannot read: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise PlumbingError(f"{path} is not a regular file; nothing uploaded")
        return f.read()


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


def kubernetes_objects_problem(data: bytes, display: str) -> str | None:
    """Why `data` is not a YAML stream holding at least one Kubernetes object (a mapping with
    apiVersion and kind), or None. A 0-byte release.yaml used to be published as a release."""
    import yaml

    try:
        docs = list(yaml.load_all(data.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except UnicodeDecodeError:
        return f"{display}: not UTF-8 text"
    except yaml.YAMLError as exc:
        return f"{display}: does not parse as YAML: {str(exc).splitlines()[0]}"
    if not any(isinstance(d, dict) and isinstance(d.get("apiVersion"), str) and isinstance(d.get("kind"), str)
               for d in docs):
        return f"{display}: holds no Kubernetes object (a document with apiVersion and kind)"
    return None


def check_release_dir(files: list[LocalFile], version: str, src_dir: str) -> None:
    """Refuse (CheckFailed, before anything is uploaded) a DIR without a release.yaml, a
    release.yaml or release.notags.yaml that is not YAML with at least one Kubernetes object,
    or a release.yaml that carries the wrong resource version."""
    by_name = {f.name: f for f in files}
    if MARKER not in by_name:
        raise CheckFailed(f"{src_dir}: no {MARKER}; nothing uploaded")
    for name in (MARKER, layout.NOTAGS_YAML):
        if name not in by_name:
            continue
        problem = kubernetes_objects_problem(by_name[name].data, f"{src_dir}/{name}")
        if problem:  # not a release at all: a usage error (exit 2), like a malformed version
            raise PlumbingError(f"{problem}; nothing uploaded")
    problems = version_label_problems(by_name[MARKER].data.decode("utf-8"), version, f"{src_dir}/{MARKER}")
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
    plan = plan_upload(files, there, result.folder)
    result.already_published, result.extra = plan.already_published, plan.extra
    result.skipped = list(plan.skipped)
    if not plan.already_published:
        upload(bucket, folder, plan, result)
    result.urls = public_urls(bucket, folder, files, public_base)
    if latest == "never":
        result.latest_reason = "--latest never"
    else:
        move_latest(bucket, project, version, result)
    return result


@dataclass(frozen=True)
class UploadPlan:
    """What to do with DIR given what previous/<VERSION>/ holds: plan_upload decides, upload does."""
    upload: tuple[LocalFile, ...]   # every file but release.yaml, in order
    marker: LocalFile | None        # release.yaml, uploaded last; None when already published
    skipped: tuple[str, ...]        # already there with the same checksum
    extra: list[str]                # in the folder, not in DIR
    already_published: bool


def plan_upload(files: list[LocalFile], there: dict, folder_url: str) -> UploadPlan:
    """Pure: decide from DIR and the folder's listing ({name: Blob}). CheckFailed when the
    folder holds a release that differs from DIR, or an interrupted publish of other content."""
    local = {f.name: f for f in files}
    differing = [f.name for f in files if f.name in there and not _same(there[f.name], f)]
    extra = sorted(name for name in there if name not in local)
    if MARKER in there:
        _refuse_changing_a_release(differing, [name for name in local if name not in there], folder_url)
        return UploadPlan((), None, tuple(f.name for f in files), extra, True)
    if differing:
        raise CheckFailed(f"{folder_url} holds {', '.join(differing)} with other content than DIR "
                          f"(an earlier, different publish?); nothing uploaded")
    rest = [f for f in files if f.name != MARKER]
    return UploadPlan(tuple(f for f in rest if f.name not in there), local[MARKER],
                      tuple(f.name for f in rest if f.name in there), extra, False)


def _refuse_changing_a_release(differing: list[str], missing: list[str], folder_url: str) -> None:
    """A published release is never changed: re-publishing the same files is fine, anything
    else (a differing file, a file the release lacks) is refused with what differs."""
    why = []
    if differing:
        why.append(f"{', '.join(differing)} {'differs' if len(differing) == 1 else 'differ'} from DIR")
    if missing:
        why.append(f"DIR has {', '.join(missing)}, which the release lacks")
    if why:
        raise CheckFailed(f"{folder_url} already holds a release; refusing to change it (nothing changed): "
                          + "; ".join(why))


def upload(bucket: Bucket, folder: str, plan: UploadPlan, result: PublishResult) -> None:
    """Every file but release.yaml, their checksums verified, then release.yaml (the marker)
    and its checksum: until it is there the folder is not a release anywhere."""
    for f in plan.upload:
        (result.uploaded if _create(bucket, folder, f) else result.skipped).append(f.name)
    _verify(bucket, folder, [*plan.upload])
    (result.uploaded if _create(bucket, folder, plan.marker) else result.skipped).append(MARKER)
    _verify(bucket, folder, [plan.marker])


def public_urls(bucket: Bucket, folder: str, files: list[LocalFile], public_base: str) -> dict[str, str]:
    """{file: public URL}, release.yaml first: it is what people apply."""
    names = sorted((f.name for f in files), key=lambda n: (n != MARKER, n))
    return {name: bucket.public_url(folder + name, public_base) for name in names}


def move_latest(bucket: Bucket, project: str, version: str, result: PublishResult) -> None:
    """Under the project's latest/ lease: decide whether latest/ moves (afresh: another
    publish may have moved it while we waited), mirror, and check the mirror is exact."""
    from plumbing.release import latest_lease

    moves, reason = decide_latest(bucket, project, version)
    result.latest_moved, result.latest_reason = moves, reason
    # A higher release never goes away, so "does not move" stays true without the lease; and a
    # re-run whose latest/ already mirrors VERSION, with nobody moving it, writes nothing.
    if not moves or (result.already_published and _latest_is(bucket, project, version)
                     and not latest_lease.is_held(bucket, project)):
        return
    with latest_lease.held(bucket, project, version) as lease:
        moves, reason = decide_latest(bucket, project, version)
        result.latest_moved, result.latest_reason = moves, reason
        if moves:
            result.latest_copied, result.latest_deleted = mirror_latest(bucket, project, version)
            check_latest_mirrors(bucket, project, version)
        lease.check()


def _latest_is(bucket: Bucket, project: str, version: str) -> bool:
    """Is latest/ an exact copy of previous/<version>/ (every file, by checksum)?"""
    release = layout.group_by_version(bucket.list(layout.release_folder(project, version)), project).get(version, {})
    return layout.latest_holds(bucket, project, {version: release}) == version


def check_latest_mirrors(bucket: Bucket, project: str, version: str) -> None:
    """CheckFailed unless latest/ is now an exact copy of previous/<version>/."""
    if not _latest_is(bucket, project, version):
        raise CheckFailed(f"{bucket.object_url(layout.latest_folder(project))} is not an exact copy of {version} "
                          f"after mirroring (changed by someone else?); re-run this publish")


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
    "FULL", "NIGHTLY", "MARKER", "PublishResult", "UploadPlan", "bucket_for", "check_release_dir",
    "decide_latest", "mirror_latest", "move_latest", "plan_upload", "publish", "read_dir", "upload",
    "version_label_problems",
]
