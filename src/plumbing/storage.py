"""One bucket interface, two backends: `gs://bucket[/prefix]` and `file:///abs/path`.

`open_bucket(url)` returns a `Bucket` whose object names are relative to the URL's prefix.

- gs:// goes through google-cloud-storage. When STORAGE_EMULATOR_HOST is set (fake-gcs-server
  in tests) the client is anonymous and talks to that host; otherwise it uses the ambient
  Google credentials (workload identity in the cluster, `gcloud auth application-default`).
- file:// is a local folder with the same semantics, for trying things by hand.

Every call is retried with exponential backoff and jitter on 408, 429, 5xx and connection
errors (google's own retry predicate), by our loop, not the library's, so we know when an
attempt was a retry. That matters for conditional creates (`write(..., if_absent=True)`, which
is `if_generation_match=0` on GCS): when the first attempt reached the server but its answer
was lost, the retry gets 412. A 412 on a retry is checked against our content (md5): identical
means our own earlier attempt won, so the write succeeded; anything else is `AlreadyExists`.
A 412 on the first attempt is always `AlreadyExists`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import mimetypes
import os
import random
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

from plumbing.findings import CheckFailed, PlumbingError

# Content types for what releases hold; anything else goes through mimetypes.
CONTENT_TYPES = {
    ".yaml": "text/yaml; charset=utf-8",
    ".yml": "text/yaml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".log": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".sha256": "text/plain; charset=utf-8",
    ".sig": "application/octet-stream",
    ".pem": "application/x-pem-file",
    ".md": "text/markdown; charset=utf-8",
}


def content_type_for(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def md5_b64(data: bytes) -> str:
    """MD5 as GCS reports it (base64 of the digest)."""
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def crc32c_b64(data: bytes) -> str:
    import google_crc32c

    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode("ascii")


class StorageError(PlumbingError):
    """The bucket could not be reached or refused a request (exit 2), after retries."""


class NotFound(StorageError):
    """The object does not exist."""


class PreconditionFailed(CheckFailed):
    """A compare-and-swap write (`if_generation`) found another generation there (exit 1):
    someone else wrote the object since it was read; nothing was overwritten."""

    def __init__(self, url: str):
        super().__init__(f"{url} changed since it was read; not overwritten")
        self.url = url


class AlreadyExists(CheckFailed):
    """A conditional create found an object there already (exit 1): nothing was overwritten."""

    def __init__(self, url: str, same_content: bool | None = None):
        note = "" if same_content is None else (" (same content)" if same_content else " (different content)")
        super().__init__(f"{url} already exists{note}; not overwritten")
        self.url = url
        self.same_content = same_content


@dataclass(frozen=True)
class Blob:
    name: str  # relative to the bucket's prefix
    size: int
    md5: str | None  # base64, as GCS reports it
    crc32c: str | None  # base64
    generation: int | None
    updated: datetime | None
    content_type: str | None


_LAZY = "\0lazy"  # a FileBucket checksum not computed yet


@dataclass(frozen=True)
class _FileBlob(Blob):
    """A file:// Blob whose checksums are computed when first asked for, so listing a folder
    never reads the files in it."""

    path: Path | None = field(default=None, repr=False, compare=False)

    def __getattribute__(self, attr):
        value = object.__getattribute__(self, attr)
        if value is _LAZY and attr in ("md5", "crc32c"):
            try:
                data = object.__getattribute__(self, "path").read_bytes()
            except OSError:  # gone since it was listed
                md5 = crc = None
            else:
                md5, crc = md5_b64(data), crc32c_b64(data)
            object.__setattr__(self, "md5", md5)
            object.__setattr__(self, "crc32c", crc)
            value = md5 if attr == "md5" else crc
        return value


def _files_under(folder: Path):
    for _dirpath, _dirnames, filenames in os.walk(folder):
        yield from (fn for fn in filenames if not fn.startswith(".plumbing-"))


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter; gives up after `attempts` or `deadline` seconds."""

    initial: float = 0.5
    maximum: float = 16.0
    multiplier: float = 2.0
    attempts: int = 8
    deadline: float = 120.0
    sleep: object = field(default=time.sleep, repr=False)

    def delays(self):
        delay = self.initial
        while True:
            yield random.uniform(0, delay) if delay > 0 else 0
            delay = min(self.maximum, delay * self.multiplier)


def retryable(exc: BaseException) -> bool:
    """Google's own predicate (429, 408, 5xx, connection resets, timeouts), plus OSError."""
    try:
        from google.cloud.storage.retry import _should_retry
    except ImportError:  # pragma: no cover - file:// only installs
        _should_retry = None
    if _should_retry is not None and _should_retry(exc):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


# GCS bucket names: lowercase letters, digits, dashes, underscores and dots, 3 to 222 long.
_GCS_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]", re.ASCII)


def open_bucket(url: str, *, retry: RetryPolicy | None = None, client=None) -> Bucket:
    """A Bucket for `gs://name[/prefix]` or `file:///abs/path`; StorageError (exit 2) otherwise.

    `.`, `..` and empty segments are refused: `gs://a/../b` would otherwise write objects named
    `../b/...` and print public URLs that point into another bucket."""
    reason = bad_name_reason(url or "")
    if reason:  # before urlsplit, which silently drops newlines and tabs
        raise StorageError(f"bucket URL {reason}")
    parts = urlsplit(url or "")
    if parts.scheme == "gs":
        if not parts.netloc:
            raise StorageError(f"{url}: a gs:// URL needs a bucket name")
        if not _GCS_BUCKET.fullmatch(parts.netloc):
            raise StorageError(f"{url!r}: {parts.netloc!r} is not a bucket name (a-z, 0-9, -, _, .)")
        prefix = parts.path[1:] if parts.path.startswith("/") else parts.path
        _check_url_path(url, prefix.removesuffix("/"))
        return GCSBucket(parts.netloc, prefix.removesuffix("/"), retry=retry, client=client)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise StorageError(f"{url}: a file:// URL needs an absolute path (file:///abs/path)")
        _check_url_path(url, parts.path[1:].removesuffix("/"))
        return FileBucket(Path(parts.path), retry=retry)
    raise StorageError(f"{url!r}: a bucket URL is gs://name[/prefix] or file:///abs/path")


def _check_url_path(url: str, path: str) -> None:
    if "?" in url or "#" in url or (path and any(p in ("", ".", "..") for p in path.split("/"))):
        raise StorageError(f"{url!r}: a bucket URL may not hold '.', '..', empty path segments, '?' or '#'")
    reason = bad_name_reason(path)
    if reason:
        raise StorageError(f"{url!r}: {reason}")


def bad_name_reason(name: str) -> str | None:
    """Why `name` cannot be an object name (control characters, not UTF-8), or None."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return f"{name.encode('utf-8', 'backslashreplace').decode('ascii', 'backslashreplace')!r} is not UTF-8"
    if _CONTROL.search(name):
        return f"{name!r} holds a newline or another control character"
    return None


def check_object_name(name: str, url: str = "") -> str:
    """`name` if it is a safe object name (or prefix: a final "/" is fine); StorageError
    (exit 2) for '.', '..' or empty segments, control characters or text that is not UTF-8."""
    segments = name.split("/")
    if any(seg in ("", ".", "..") for seg in segments[:-1]) or segments[-1] in (".", ".."):
        raise StorageError(f"{url}{name!r} is not a valid object name ('.', '..' or empty segments)")
    reason = bad_name_reason(name)
    if reason:
        raise StorageError(f"{url}{reason}; not a valid object name")
    return name


# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class Bucket:
    """What both backends offer. Names are relative to the bucket URL's prefix."""

    url: str
    retry: RetryPolicy

    def list(self, prefix: str = "") -> list[Blob]:
        raise NotImplementedError

    def list_folders(self, prefix: str) -> list[str]:
        """The "sub-folders" right under `prefix` (which ends with "/"), e.g. every
        `<project>/previous/<version>/`, without listing the objects inside them."""
        raise NotImplementedError

    def read(self, name: str) -> bytes:
        raise NotImplementedError

    def write(self, name: str, data: bytes, content_type: str | None = None, if_absent: bool = True,
              if_generation: int | None = None) -> Blob | None:
        """Create `name` (if_absent: never overwriting), or replace it; with `if_generation`, replace
        it only while it is still that generation (compare-and-swap), else PreconditionFailed."""
        raise NotImplementedError

    def stat(self, name: str) -> Blob | None:
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def delete(self, name: str) -> None:
        """Remove `name`; a missing object is not an error (deletes are idempotent)."""
        raise NotImplementedError

    def copy(self, src: str, dst: str) -> None:
        """Server-side copy, overwriting `dst`; keeps the content type."""
        raise NotImplementedError

    def public_url(self, name: str, base: str) -> str:
        raise NotImplementedError

    def object_url(self, name: str) -> str:
        return f"{self.url.rstrip('/')}/{name}"

    # -- retries ------------------------------------------------------------------------------
    def _call(self, what: str, fn, *, on_retry_error=None):
        """Run fn() with retries. `on_retry_error(exc)` may turn an error seen on a retry into a
        result (return a value) or re-raise; it is only consulted after the first attempt."""
        policy = self.retry
        start = time.monotonic()
        delays = policy.delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn()
            except Exception as exc:  # noqa: BLE001 - sorted out below
                if attempt > 1 and on_retry_error is not None:
                    handled, value = on_retry_error(exc)
                    if handled:
                        return value
                if not retryable(exc):
                    raise
                delay = next(delays)
                if attempt >= policy.attempts or time.monotonic() - start + delay > policy.deadline:
                    raise StorageError(
                        f"{what}: gave up after {attempt} attempts: {_short(exc)}"
                    ) from exc
                policy.sleep(delay)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


# --- gs:// -----------------------------------------------------------------------------------

class GCSBucket(Bucket):
    def __init__(self, name: str, prefix: str = "", *, retry: RetryPolicy | None = None, client=None):
        self.name = name
        self.prefix = prefix
        self.retry = retry or RetryPolicy()
        self._client = client
        self._bucket = None

    @property
    def url(self) -> str:
        return f"gs://{self.name}/{self.prefix}" if self.prefix else f"gs://{self.name}"

    def _full(self, name: str) -> str:
        check_object_name(name, f"{self.url}: ")
        return f"{self.prefix}/{name}" if self.prefix else name

    def _rel(self, full: str) -> str:
        return full[len(self.prefix) + 1:] if self.prefix else full

    @property
    def bucket(self):
        if self._bucket is None:
            if self._client is None:
                self._client = _make_client()
            self._bucket = self._client.bucket(self.name)
        return self._bucket

    @staticmethod
    def _errors():
        from google.api_core import exceptions

        return exceptions

    def _translate(self, what: str, exc: Exception, name: str | None = None):
        ex = self._errors()
        if isinstance(exc, ex.NotFound):
            return NotFound(f"{what}: not found")
        if isinstance(exc, ex.Forbidden):
            return StorageError(f"{what}: permission denied (403): {_short(exc)}")
        if isinstance(exc, ex.Unauthorized):
            return StorageError(f"{what}: not authenticated (401): {_short(exc)}")
        if isinstance(exc, StorageError):
            return exc
        return StorageError(f"{what}: {_short(exc)}")

    def _to_blob(self, b) -> Blob:
        return Blob(
            name=self._rel(b.name), size=int(b.size or 0), md5=b.md5_hash, crc32c=b.crc32c,
            generation=b.generation, updated=b.updated, content_type=b.content_type,
        )

    def list(self, prefix: str = "") -> list[Blob]:
        full = self._full(prefix)

        def go():
            blobs = self.bucket.client.list_blobs(self.bucket, prefix=full, retry=None, timeout=_TIMEOUT)
            return [self._to_blob(b) for b in blobs]

        try:
            return self._call(f"list {self.object_url(prefix)}", go)
        except Exception as exc:
            raise self._translate(f"list {self.object_url(prefix)}", exc) from exc

    def list_folders(self, prefix: str) -> list[str]:
        full = self._full(prefix)

        def go():
            # With a delimiter GCS answers the "sub-folder" prefixes, not the objects under them.
            it = self.bucket.client.list_blobs(self.bucket, prefix=full, delimiter="/", retry=None,
                                               timeout=_TIMEOUT, fields="items(name),prefixes,nextPageToken")
            for _ in it.pages:
                pass
            return sorted(self._rel(p) for p in it.prefixes)

        what = f"list folders {self.object_url(prefix)}"
        try:
            return self._call(what, go)
        except Exception as exc:
            raise self._translate(what, exc) from exc

    def stat(self, name: str) -> Blob | None:
        def go():
            b = self.bucket.get_blob(self._full(name), retry=None, timeout=_TIMEOUT)
            return None if b is None else self._to_blob(b)

        try:
            return self._call(f"stat {self.object_url(name)}", go)
        except Exception as exc:
            raise self._translate(f"stat {self.object_url(name)}", exc) from exc

    def read(self, name: str) -> bytes:
        what = f"read {self.object_url(name)}"
        try:
            return self._call(what, lambda: self.bucket.blob(self._full(name)).download_as_bytes(retry=None, timeout=_TIMEOUT))
        except Exception as exc:
            raise self._translate(what, exc) from exc

    def exists(self, name: str) -> bool:
        what = f"check {self.object_url(name)}"
        try:
            return self._call(what, lambda: self.bucket.blob(self._full(name)).exists(retry=None, timeout=_TIMEOUT))
        except Exception as exc:
            raise self._translate(what, exc) from exc

    def write(self, name: str, data: bytes, content_type: str | None = None, if_absent: bool = True,
              if_generation: int | None = None) -> Blob | None:
        if if_generation is not None:
            return self._swap(name, data, content_type or content_type_for(name), if_generation)
        what = f"write {self.object_url(name)}"
        content_type = content_type or content_type_for(name)
        ex = self._errors()
        want_md5 = md5_b64(data)

        def go():
            blob = self.bucket.blob(self._full(name))
            if if_absent and len(data) > _MULTIPART_LIMIT and blob.exists(retry=None, timeout=_TIMEOUT):
                # Above 8 MiB the client uses a resumable upload; GCS applies the precondition
                # to those too, but the fake-gcs-server we test against does not
                # (fsouza/fake-gcs-server#1967, fixed by #2260), so look first as well.
                raise ex.PreconditionFailed(f"{self.object_url(name)} exists")
            kwargs = {"if_generation_match": 0} if if_absent else {}
            blob.upload_from_string(data, content_type=content_type, retry=None, timeout=_TIMEOUT, **kwargs)
            return self._to_blob(blob)

        def on_retry_error(exc):
            # Our first attempt may have landed although its answer was lost.
            if if_absent and isinstance(exc, ex.PreconditionFailed):
                there = self.stat(name)
                if there is not None and there.md5 == want_md5:
                    return True, there
                raise AlreadyExists(self.object_url(name), same_content=False) from None
            return False, None

        try:
            return self._call(what, go, on_retry_error=on_retry_error)
        except AlreadyExists:
            raise
        except ex.PreconditionFailed:
            there = self.stat(name)
            raise AlreadyExists(self.object_url(name), same_content=bool(there and there.md5 == want_md5)) from None
        except Exception as exc:
            raise self._translate(what, exc) from exc

    def _swap(self, name: str, data: bytes, content_type: str, generation: int) -> Blob:
        """Replace `name` only at `generation`. A retry that gets 412 after a lost answer checks
        whether the object now holds our bytes (our own write landed)."""
        what = f"write {self.object_url(name)}"
        ex = self._errors()
        want_md5 = md5_b64(data)

        def go():
            blob = self.bucket.blob(self._full(name))
            blob.upload_from_string(data, content_type=content_type, retry=None, timeout=_TIMEOUT,
                                    if_generation_match=generation)
            return self._to_blob(blob)

        def on_retry_error(exc):
            if isinstance(exc, ex.PreconditionFailed):
                there = self.stat(name)
                if there is not None and there.md5 == want_md5:
                    return True, there
                raise PreconditionFailed(self.object_url(name)) from None
            return False, None

        try:
            return self._call(what, go, on_retry_error=on_retry_error)
        except PreconditionFailed:
            raise
        except ex.PreconditionFailed:
            raise PreconditionFailed(self.object_url(name)) from None
        except Exception as exc:
            raise self._translate(what, exc) from exc

    def delete(self, name: str) -> None:
        what = f"delete {self.object_url(name)}"
        ex = self._errors()

        def go():
            try:
                self.bucket.blob(self._full(name)).delete(retry=None, timeout=_TIMEOUT)
            except ex.NotFound:
                pass

        try:
            self._call(what, go)
        except Exception as exc:
            raise self._translate(what, exc) from exc

    def copy(self, src: str, dst: str) -> None:
        what = f"copy {self.object_url(src)} to {self.object_url(dst)}"

        def go():
            source = self.bucket.blob(self._full(src))
            self.bucket.copy_blob(source, self.bucket, self._full(dst), retry=None, timeout=_TIMEOUT)

        try:
            self._call(what, go)
        except Exception as exc:
            raise self._translate(what, exc) from exc

    def public_url(self, name: str, base: str) -> str:
        return f"{base.rstrip('/')}/{self.name}/{quote(self._full(name))}"


_TIMEOUT = (10, 60)  # connect, read seconds per request
_MULTIPART_LIMIT = 8 * 1024 * 1024  # google-cloud-storage's switch to resumable uploads


def _make_client():
    try:
        from google.cloud import storage
    except ImportError:
        raise StorageError(
            "gs:// buckets need google-cloud-storage: pip install 'plumbing[gcs]'"
        ) from None
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    if emulator:
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project=os.environ.get("GOOGLE_CLOUD_PROJECT", "plumbing-test"),
                              credentials=AnonymousCredentials())
    try:
        return storage.Client()
    except Exception as exc:  # google.auth.exceptions.DefaultCredentialsError and friends
        raise StorageError(f"cannot create a Google Cloud Storage client: {_short(exc)}") from None


# --- file:// ---------------------------------------------------------------------------------

class FileBucket(Bucket):
    """A local folder. Writes go to a temporary file first, then are linked into place, so a
    reader never sees half a file and `if_absent` is atomic (link fails if the name exists)."""

    def __init__(self, root: Path, *, retry: RetryPolicy | None = None):
        self.root = Path(root)
        self.retry = retry or RetryPolicy()

    @property
    def url(self) -> str:
        return self.root.as_uri()

    def _path(self, name: str) -> Path:
        check_object_name(name, f"{self.url}: ")
        parts = [p for p in name.split("/") if p]
        if not parts:
            raise StorageError(f"{name!r} is not a valid object name")
        return self.root.joinpath(*parts)

    def _to_blob(self, path: Path) -> Blob:
        st = path.stat()
        name = path.relative_to(self.root).as_posix()
        return _FileBlob(
            name=name, size=st.st_size, md5=_LAZY, crc32c=_LAZY,
            # A new file (new inode) per write: inode and mtime together tell generations apart
            # even within one tick of the file system's clock.
            generation=hash((st.st_ino, st.st_mtime_ns, st.st_size)) & (2**63 - 1),
            updated=datetime.fromtimestamp(st.st_mtime, UTC),
            content_type=content_type_for(name), path=path,
        )

    def _start(self, prefix: str) -> Path:
        """The deepest folder that holds every name starting with `prefix`."""
        folder = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        return self._path(folder) if folder else self.root

    def list(self, prefix: str = "") -> list[Blob]:
        if prefix:
            check_object_name(prefix, f"{self.url}: ")
        start = self._start(prefix)
        if not start.is_dir():
            return []
        out = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            for fn in sorted(filenames):
                if fn.startswith(".plumbing-"):  # temporary files, the CAS lock
                    continue
                path = Path(dirpath) / fn
                name = path.relative_to(self.root).as_posix()
                if name.startswith(prefix):
                    with contextlib.suppress(FileNotFoundError):  # deleted while we walked
                        out.append(self._to_blob(path))
        return sorted(out, key=lambda b: b.name)

    def list_folders(self, prefix: str) -> list[str]:
        start = self._path(prefix) if prefix.strip("/") else self.root
        try:
            entries = sorted(e.name for e in os.scandir(start) if e.is_dir(follow_symlinks=False))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [f"{prefix}{name}/" for name in entries if any(True for _ in _files_under(start / name))]

    def stat(self, name: str) -> Blob | None:
        path = self._path(name)
        return self._to_blob(path) if path.is_file() else None

    def read(self, name: str) -> bytes:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"read {self.object_url(name)}: not found") from None
        except OSError as exc:
            raise StorageError(f"read {self.object_url(name)}: {exc}") from None

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def write(self, name: str, data: bytes, content_type: str | None = None, if_absent: bool = True,
              if_generation: int | None = None) -> Blob | None:
        if if_generation is not None:
            with self._lock():
                there = self.stat(name)
                if there is None or there.generation != if_generation:
                    raise PreconditionFailed(self.object_url(name))
                return self.write(name, data, content_type, if_absent=False)
        path = self._path(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".plumbing-tmp-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                if if_absent:
                    try:
                        os.link(tmp, path)
                    except FileExistsError:
                        same = md5_b64(path.read_bytes()) == md5_b64(data)
                        raise AlreadyExists(self.object_url(name), same_content=same) from None
                else:
                    os.replace(tmp, path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except (AlreadyExists, StorageError):
            raise
        except OSError as exc:
            raise StorageError(f"write {self.object_url(name)}: {exc}") from None
        return self._to_blob(path)

    @contextlib.contextmanager
    def _lock(self):
        """One writer at a time for compare-and-swap (an flock on a file in the bucket's root)."""
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".plumbing-lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def delete(self, name: str) -> None:
        try:
            self._path(name).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError(f"delete {self.object_url(name)}: {exc}") from None

    def copy(self, src: str, dst: str) -> None:
        self.write(dst, self.read(src), if_absent=False)

    def public_url(self, name: str, base: str) -> str:
        return self._path(name).as_uri()
