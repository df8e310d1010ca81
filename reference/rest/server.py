"""The REST API on a stdlib `ThreadingHTTPServer`, bound to loopback only.

Robustness invariant: any request gets a complete HTTP answer, 2xx or 4xx (bodies that are not JSON
or not DICOM, unknown routes, bad methods, missing or bogus Content-Length, oversized bodies); the
connection is never dropped without an answer, and a bug in a route answers 500 and is logged rather
than killing the thread silently.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import parse_qsl, unquote, urlsplit

from reference.archive.archive import Archive
from reference.config import ServerConfig
from reference.modalities import ModalityRegistry
from reference.rest.routes import HttpError, Request, Response, RestApi, json_response
from reference.rest.shapes import error_json

LOG = logging.getLogger("reference.rest")
MAX_BODY = 512 * 1024 * 1024
IDLE_TIMEOUT_SECONDS = 60.0


def reference_version() -> str:
    try:
        return version("multitenant-dicom-conformance")
    except PackageNotFoundError:
        return "0.0.0"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mtdicom-reference"
    timeout = IDLE_TIMEOUT_SECONDS  # an idle or trickling client cannot hold a thread forever
    api: RestApi  # set on the subclass made per server

    def log_message(self, format: str, *args: object) -> None:
        LOG.debug("%s " + format, self.address_string(), *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by the stdlib parser (bad request line, unknown method, too long...): always
        a status line and Orthanc's JSON, and a 4xx (501 for an unknown method becomes 405)."""
        if code >= 500:
            code = 405 if code == 501 else 400
        if getattr(self, "request_version", "HTTP/0.9") in ("HTTP/0.9", ""):
            self.request_version = "HTTP/1.0"  # the stdlib writes no status line for HTTP/0.9
        self.close_connection = True
        body = error_json(code, self.command or "", self.path if hasattr(self, "path") else "",
                          message or "Bad request", explain)
        self._answer(json_response(body, code))

    def _answer(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _error(self, status: int, message: str, path: str, details: str | None = None) -> None:
        self.close_connection = True
        self._answer(json_response(error_json(status, self.command or "", path, message, details), status))

    def _read_body(self, path: str) -> bytes | None:
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked(path)
        if length_text is None:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            self._error(400, "Bad request", path, "invalid Content-Length")
            return None
        if length < 0:
            self._error(400, "Bad request", path, "invalid Content-Length")
            return None
        if length > MAX_BODY:
            self._error(413, "Request entity too large", path)
            return None
        return self.rfile.read(length)

    def _read_chunked(self, path: str) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).strip()
            try:
                size = int(line.split(b";")[0], 16)
            except ValueError:
                self._error(400, "Bad request", path, "invalid chunked encoding")
                return None
            if size == 0:
                self.rfile.readline(1024)
                return b"".join(chunks)
            total += size
            if size < 0 or total > MAX_BODY:
                self._error(413, "Request entity too large", path)
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        body = self._read_body(path)
        if body is None:
            return
        segments = tuple(unquote(part) for part in split.path.split("/") if part)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        request = Request(self.command, path, segments, query, body)
        try:
            response = self.api.handle(request)
        except HttpError as exc:  # pragma: no cover - RestApi.handle already maps these
            response = json_response(error_json(exc.status, self.command, path, exc.message, exc.details),
                                     exc.status)
        except Exception:
            LOG.exception("internal error on %s %s", self.command, self.path)
            response = json_response(error_json(500, self.command, path, "Internal error", None), 500)
        self._answer(response)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()


class RestServer:
    """The REST API of one reference server: `start()`, `port`, `stop()`."""

    def __init__(self, archive: Archive, config: ServerConfig, registry: ModalityRegistry,
                 host: str = "127.0.0.1", port: int = 0, *, dicom_port: int | None = None,
                 idle_timeout: float = IDLE_TIMEOUT_SECONDS) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the reference server binds loopback only, not {host!r}")
        self._host = host
        self._idle_timeout = idle_timeout
        self._requested_port = port
        self.dicom_port = config.dicom_port if dicom_port is None else dicom_port
        self.api = RestApi(archive, config, registry, version=reference_version(),
                           ports=lambda: (self.port, self.dicom_port))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the REST server is not started")
        return int(self._server.server_address[1])

    def start(self) -> None:
        handler = type("BoundHandler", (_Handler,), {"api": self.api, "timeout": self._idle_timeout})
        server = ThreadingHTTPServer((self._host, self._requested_port), handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"rest-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> RestServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
