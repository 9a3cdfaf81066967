"""`matcalc serve`: the page and its JSON API on the standard library's ThreadingHTTPServer.

Routes: GET / and /static/* (the page, packaged with matcalc), GET /api/info,
POST /api/derive, /api/check, /api/codegen.  Every answer under /api is JSON; a bad
request is a 400 with {"error": {type, message, line, column}}, and a bug is logged
here and answered with a generic 500, never a traceback.

Example (it binds a port, so it is not run as a doctest)::

    server = make_server(port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url                                     # 'http://127.0.0.1:40123/'
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from . import protocol
from .workers import Busy, TimeLimitExceeded, WorkerDied, WorkerPool

log = logging.getLogger("matcalc.serve")

CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".json": "application/json", ".svg": "image/svg+xml",
                 ".png": "image/png"}
# The page may load only what this server sends: no CDN, no fonts or scripts from elsewhere.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
POST_ROUTES = {"/api/derive": "derive", "/api/check": "check", "/api/codegen": "codegen"}
GET_ROUTES = {"/api/info"}
LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}
UNANSWERABLE = object()     # a request body already answered with an error (JSON null is a body too)
DRAIN_BYTES = 1024 * 1024   # an oversized body up to this size is read and dropped before the 413


def static_files() -> dict:
    """URL path -> (bytes, content type) for every file of matcalc/web/static, read once."""
    files = {}
    folder = resources.files("matcalc.web").joinpath("static")
    for entry in folder.iterdir():
        if entry.is_file():
            ext = os.path.splitext(entry.name)[1]
            files[f"/static/{entry.name}"] = (entry.read_bytes(), CONTENT_TYPES.get(ext, "application/octet-stream"))
    files["/"] = files["/static/index.html"]
    return files


class MatcalcServer(ThreadingHTTPServer):
    """The HTTP server with its worker pool, static files and limits."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, *, workers: int, time_limit: float, log_requests: bool = True):
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.pool = None   # server_close() runs inside __init__ when the port is taken
        super().__init__((host, port), Handler)
        self.files = static_files()
        self.pool = WorkerPool(size=workers, time_limit=time_limit)
        self.log_requests = log_requests
        self.loopback = _is_loopback(host)
        from . import engine   # the page's /api/info; imports matcalc, not torch
        self.info = dict(engine.info(), limits={
            "body_bytes": protocol.MAX_BODY_BYTES, "expression_chars": protocol.MAX_EXPRESSION_CHARS,
            "time_limit_s": time_limit, "check_dimension": protocol.MAX_CHECK_DIMENSION})

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def server_close(self) -> None:
        super().server_close()
        if self.pool is not None:
            self.pool.close()


class Handler(BaseHTTPRequestHandler):
    server: MatcalcServer
    server_version = "matcalc"
    timeout = 30   # seconds a client may take to send its request: a stalled client frees its thread

    def version_string(self) -> str:
        return self.server_version   # no Python version in the Server header

    # ------------------------------------------------------------ methods
    def do_GET(self) -> None:
        self._dispatch(self._get)

    def do_POST(self) -> None:
        self._dispatch(self._post)

    def _refuse_method(self) -> None:
        self._dispatch(self._method_not_allowed)

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _refuse_method

    def _dispatch(self, handle) -> None:
        try:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if not self._host_allowed():
                self._error(HTTPStatus.FORBIDDEN, "Forbidden", "this server answers only requests to localhost")
            else:
                handle(path)
        except (ConnectionError, TimeoutError):   # the client left or stalled: nobody to answer
            self.close_connection = True
        except Exception:   # a bug in this module: logged, answered without details
            log.exception("internal error on %s %s", self.command, self.path)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "InternalError",
                        "internal error; the server log has the details")

    def _get(self, path: str) -> None:
        if path in self.server.files:
            body, content_type = self.server.files[path]
            self._send(HTTPStatus.OK, body, content_type)
        elif path in GET_ROUTES:
            self._json(HTTPStatus.OK, self.server.info)
        else:
            self._method_not_allowed(path)

    def _post(self, path: str) -> None:
        task = POST_ROUTES.get(path)
        if task is None:
            return self._method_not_allowed(path)
        body = self._read_json()
        if body is UNANSWERABLE:
            return   # _read_json has answered
        try:
            query = protocol.parse_query(body, task)
        except protocol.RequestError as e:
            return self._json(HTTPStatus.BAD_REQUEST, e.body())
        try:
            status, answer, trace = self.server.pool.call(task, query)
        except TimeLimitExceeded as e:
            return self._error(HTTPStatus.BAD_REQUEST, "TimeLimitError", str(e))
        except Busy as e:
            return self._error(HTTPStatus.SERVICE_UNAVAILABLE, "Busy", f"{e}; try again", retry_after=1)
        except WorkerDied as e:
            log.error("%s on %s: %r", e, path, query.expr[:200])
            return self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "InternalError",
                               "internal error; the server log has the details")
        if trace:
            log.error("%s %r failed:\n%s", path, query.expr[:200], trace)
        self._json(status, answer)

    # ------------------------------------------------------------ checks
    def _method_not_allowed(self, path: str) -> None:
        allowed = "POST" if path in POST_ROUTES else "GET" if path in GET_ROUTES or path in self.server.files else None
        if allowed is None:
            self._error(HTTPStatus.NOT_FOUND, "NotFound", f"no such page or endpoint: {path[:100]}")
        else:
            self._error(HTTPStatus.METHOD_NOT_ALLOWED, "MethodNotAllowed",
                        f"{path} takes {allowed}, not {self.command}", allow=allowed)

    def _read_json(self):
        """The request body decoded, or UNANSWERABLE after answering 411, 413, 415 or 400."""
        content_type = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            # a cross-site page cannot send application/json without the browser asking first (CORS)
            self._error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "RequestError", "send the body as application/json")
            return UNANSWERABLE
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or length is None or not length.isdigit():
            self._error(HTTPStatus.LENGTH_REQUIRED, "RequestError", "send a Content-Length header")
            return UNANSWERABLE
        if int(length) > protocol.MAX_BODY_BYTES:
            self.close_connection = True
            if int(length) <= DRAIN_BYTES:   # read and dropped, so the client reads our answer, not a reset
                self._drain(int(length))
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "LimitError",
                        f"the body is {int(length):,} bytes; the limit is {protocol.MAX_BODY_BYTES:,}")
            return UNANSWERABLE
        raw = self.rfile.read(int(length))
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            self._error(HTTPStatus.BAD_REQUEST, "RequestError", f"the body is not JSON: {str(e)[:200]}")
            return UNANSWERABLE

    def _drain(self, length: int) -> None:
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                return
            length -= len(chunk)

    def _host_allowed(self) -> bool:
        """Bound to loopback, answer only Host: localhost or a loopback address (no DNS rebinding)."""
        host = self.headers.get("Host")
        if not self.server.loopback or not host:
            return True
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name.lower() in LOOPBACK_NAMES or _is_loopback(name.strip("[]"))

    # ------------------------------------------------------------ answers
    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (a malformed request line, headers too long) as JSON too."""
        self.close_connection = True
        status = HTTPStatus(code)
        self._error(status, status.phrase.replace(" ", ""), message or status.description)

    def _error(self, status: HTTPStatus, type: str, message: str, **headers) -> None:
        self._json(status, {"error": {"type": type, "message": message, "line": None, "column": None}}, **headers)

    def _json(self, status: HTTPStatus, body: dict, **headers) -> None:
        self._send(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8",
                   **headers)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, *, allow: str | None = None,
              retry_after: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if content_type.startswith("text/html"):
            self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if allow:
            self.send_header("Allow", allow)
        if retry_after:
            self.send_header("Retry-After", str(retry_after))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        if self.server.log_requests:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_workers() -> int:
    """Two to four workers: derivations are short, and each worker holds a Python process."""
    return max(2, min(4, os.cpu_count() or 2))


def make_server(host: str = "127.0.0.1", port: int = 8000, *, workers: int | None = None,
                time_limit: float = 10.0, log_requests: bool = True) -> MatcalcServer:
    """A bound server, not yet serving; port 0 picks a free port (server.url says which)."""
    return MatcalcServer(host, port, workers=workers or default_workers(), time_limit=time_limit,
                         log_requests=log_requests)


def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False) -> int:
    """Serve until Ctrl-C; prints the URL first (what `matcalc serve` runs)."""
    logging.basicConfig(level=logging.INFO, format="matcalc serve: %(message)s")
    try:
        server = make_server(host, port)
    except OSError as e:   # the port is taken, or the address is not this machine's
        print(f"matcalc serve: cannot listen on {host}:{port}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"matcalc serve: {server.url}  (Ctrl-C to stop)", flush=True)
    if not server.loopback:
        print("matcalc serve: listening beyond this machine; anyone who can reach it can use it", flush=True)
    if open_browser:
        import webbrowser
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nmatcalc serve: stopped", flush=True)
    finally:
        server.server_close()
    return 0
