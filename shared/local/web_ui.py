"""The applications' web UIs, on this machine: each built once from its npm project and
served on 127.0.0.1 beside the local stage's REST API it calls.

The server serves the build (``dist/``), answers ``/config.json`` with the API's base URL
(``/api``, itself) and forwards ``/api/...`` to the local API, as Vite's development server
forwards to a proxied API; a deployed UI's ``config.json`` names the deployed API instead.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from shared.errors import PlatformError

API_PREFIX = "/api"
BUILD_DIGEST = ".build-digest"
SOURCES = ("package.json", "package-lock.json", "index.html", "vite.config.js", "src")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}
OUTPUT_TAIL_CHARS = 2000


def digest(project: Path) -> str:
    """A digest over what the build is made from."""
    hasher = hashlib.sha256()
    for name in SOURCES:
        root = project / name
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in (p for p in files if p.is_file()):
            hasher.update(path.relative_to(project).as_posix().encode())
            hasher.update(path.read_bytes())
    return hasher.hexdigest()


def build(project: Path, progress: Callable[[str], None] = lambda line: None) -> Path:
    """The UI's ``dist/``, built with ``npm ci`` and ``npm run build`` unless the last build
    was made from the same sources.

    Raises:
        PlatformError: when npm fails (with the end of its output).
    """
    dist = project / "dist"
    wanted = digest(project)
    if (dist / BUILD_DIGEST).is_file() and (dist / BUILD_DIGEST).read_text() == wanted:
        return dist
    progress(f"building the web UI of {project} (npm ci, npm run build)")
    for command in (
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        ["npm", "run", "build"],
    ):
        done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stdout + done.stderr)[-OUTPUT_TAIL_CHARS:]
            raise PlatformError(f"{' '.join(command)} failed in {project}:\n{tail}")
    (dist / BUILD_DIGEST).write_text(wanted)
    return dist


@dataclass
class RunningUi:
    """A UI being served: its URL; ``stop()`` ends it."""

    url: str
    server: ThreadingHTTPServer

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(dist: Path, api_url: str, port: int = 0) -> RunningUi:
    """Serve ``dist`` on 127.0.0.1 (``port`` 0: any free one), with ``/api`` forwarded to
    ``api_url``.

    Raises:
        PlatformError: when ``port`` is taken.
    """
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(dist.resolve(), api_url))
    except OSError as error:
        raise PlatformError(
            f"the web UI cannot listen on 127.0.0.1:{port} ({error.strerror}): its origin is "
            "the one its API allows; stop what listens there"
        ) from error
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return RunningUi(f"http://127.0.0.1:{server.server_address[1]}/", server)


def _handler(dist: Path, api_url: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.startswith(API_PREFIX + "/"):
                self._forward()
            elif self.path.split("?")[0] == "/config.json":
                self._send(200, "application/json", json.dumps({"apiBaseUrl": API_PREFIX}))
            else:
                self._file()

        def do_POST(self) -> None:
            self._forward()

        do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST  # noqa: N815 (http.server's)

        def _file(self) -> None:
            relative = self.path.split("?")[0].lstrip("/") or "index.html"
            path = (dist / relative).resolve()
            if not path.is_relative_to(dist) or not path.is_file():
                path = dist / "index.html"  # the single page's own routes
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self._send(200, kind, path.read_bytes())

        def _forward(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            if not self.path.startswith(API_PREFIX + "/"):
                self._send(404, "text/plain", "not found")
                return
            request = urllib.request.Request(
                api_url + self.path.removeprefix(API_PREFIX),
                data=body,
                method=self.command,
                headers={k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP},
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as answer:
                    status, headers, data = answer.status, answer.headers, answer.read()
            except urllib.error.HTTPError as error:
                status, headers, data = error.code, error.headers, error.read()
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send(self, status: int, kind: str, body: str | bytes) -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
