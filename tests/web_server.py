"""A `matcalc serve` server on a free port for the web tests, and a small JSON client (urllib).

    with running_server(time_limit=2) as url:
        status, body = post(url, "/api/derive", {"expr": "tr(A@B)", "wrt": ["A"]})
"""
from __future__ import annotations

import contextlib
import json
import threading
import urllib.error
import urllib.request

from matcalc.web.server import make_server

HOMEWORK = "norm(sigmoid(X@W1+b1)@W2+b2-Y)^2"
HOMEWORK_SHAPES = {"X": "100x1", "W1": "1x20", "b1": "1x20", "W2": "20x1", "b2": "scalar", "Y": "100x1"}


@contextlib.contextmanager
def running_server(**options):
    """The server's URL while it serves in a thread; its workers are stopped afterwards."""
    server = make_server("127.0.0.1", 0, log_requests=False, **options)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url.rstrip("/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def request(url: str, path: str, data: bytes | None = None, *, method: str | None = None,
            headers: dict | None = None, timeout: float = 60) -> tuple:
    """(status, headers, body bytes), HTTP errors included."""
    req = urllib.request.Request(url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def post(url: str, path: str, body, **kwargs) -> tuple:
    """(status, decoded JSON) of a POST with a JSON body."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    status, _, raw = request(url, path, data, method="POST", headers={"Content-Type": "application/json"}, **kwargs)
    return status, json.loads(raw)


def get(url: str, path: str) -> tuple:
    status, _, raw = request(url, path)
    return status, json.loads(raw)
