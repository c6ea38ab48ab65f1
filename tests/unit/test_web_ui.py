"""The local web UI server: the build's files, ``config.json`` naming itself as the API,
``/api`` forwarded to the local API as it answers, and a port already taken named."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.errors import PlatformError
from shared.local import web_ui


class FakeApi(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        answer = json.dumps({"path": self.path, "body": body.decode()}).encode()
        self.send_response(409)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def served(tmp_path):
    (tmp_path / "index.html").write_text("<div id=root></div>")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    api = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    ui = web_ui.serve(tmp_path, f"http://127.0.0.1:{api.server_address[1]}/dev")
    yield ui
    ui.stop()
    api.shutdown()


def get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.status, answer.headers["Content-Type"], answer.read().decode()


def test_the_build_and_its_config_are_served(served):
    assert get(served.url)[2] == "<div id=root></div>"
    assert get(f"{served.url}assets/app.js")[1] == "text/javascript"
    assert json.loads(get(f"{served.url}config.json")[2]) == {"apiBaseUrl": "/api"}
    assert get(f"{served.url}jobs/abc")[2] == "<div id=root></div>"


def test_api_requests_are_forwarded_with_the_apis_own_answer(served):
    request = urllib.request.Request(
        f"{served.url}api/trigger-job", data=b'{"jobId": "x"}', method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    assert raised.value.code == 409
    assert raised.value.headers["Content-Type"] == "application/problem+json"
    assert json.loads(raised.value.read()) == {"path": "/dev/trigger-job", "body": '{"jobId": "x"}'}


def test_a_taken_port_is_named(served, tmp_path):
    port = int(served.url.rsplit(":", 1)[1].strip("/"))
    with pytest.raises(PlatformError, match=f"cannot listen on 127.0.0.1:{port}"):
        web_ui.serve(tmp_path, "http://127.0.0.1:1/dev", port)


def test_the_digest_changes_with_the_sources(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "App.jsx").write_text("a")
    first = web_ui.digest(tmp_path)
    (tmp_path / "src" / "App.jsx").write_text("b")
    assert web_ui.digest(tmp_path) != first
