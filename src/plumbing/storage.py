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


def open_bucket(url: str, *, retry: RetryPolicy | None = None, client=None) -> Bucket:
    """A Bucket for `gs://name[/prefix]` or `file:///abs/path`; StorageError (exit 2) otherwise."""
    parts = urlsplit(url or "")
    if parts.scheme == "gs":
        if not parts.netloc:
            raise StorageError(f"{url}: a gs:// URL needs a bucket name")
        return GCSBucket(parts.netloc, parts.path.strip("/"), retry=retry, client=client)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise StorageError(f"{url}: a file:// URL needs an absolute path (file:///abs/path)")
        return FileBucket(Path(parts.path), retry=retry)
    raise StorageError(f"{url!r}: a bucket URL is gs://name[/prefix] or file:///abs/path")


class Bucket:
    """What both backends offer. Names are relative to the bucket URL's prefix."""

    url: str
    retry: RetryPolicy

    def list(self, prefix: str = "") -> list[Blob]:
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
            return [self._to_blob(b) for b in self.bucket.client.list_blobs(self.bucket, prefix=full, retry=None, timeout=_TIMEOUT)]

        try:
            return self._call(f"list {self.object_url(prefix)}", go)
        except Exception as exc:
            raise self._translate(f"list {self.object_url(prefix)}", exc) from exc

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
        parts = [p for p in name.split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise StorageError(f"{name!r} is not a valid object name")
        return self.root.joinpath(*parts)

    def _to_blob(self, path: Path) -> Blob:
        data = path.read_bytes()
        st = path.stat()
        name = path.relative_to(self.root).as_posix()
        return Blob(
            name=name, size=st.st_size, md5=md5_b64(data), crc32c=crc32c_b64(data),
            # A new file (new inode) per write: inode and mtime together tell generations apart
            # even within one tick of the file system's clock.
            generation=hash((st.st_ino, st.st_mtime_ns, st.st_size)) & (2**63 - 1),
            updated=datetime.fromtimestamp(st.st_mtime, UTC),
            content_type=content_type_for(name),
        )

    def list(self, prefix: str = "") -> list[Blob]:
        if not self.root.is_dir():
            return []
        out = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for fn in sorted(filenames):
                if fn.startswith(".plumbing-"):  # temporary files, the CAS lock
                    continue
                path = Path(dirpath) / fn
                name = path.relative_to(self.root).as_posix()
                if name.startswith(prefix):
                    out.append(self._to_blob(path))
        return sorted(out, key=lambda b: b.name)

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
