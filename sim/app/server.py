"""The trainer's page over HTTP: the standard library's threaded server, nothing else.

``GET /`` is the page, ``GET /static/...`` its script and style (every asset is served
from this package: the page works with no internet). ``GET /api/state`` is the
:class:`~sim.app.model.Session`'s state (``?floor=N`` adds the floor's frames if run N
is the result shown, so the floor always belongs to the result the page has);
``POST /api/run``, ``/api/open``, ``/api/pin``, ``/api/unpin`` change it and answer with
the state: ``200``, or ``422`` when the input is refused (settings or a scenario with
errors; ``409`` for a pin before any result), the state's ``error`` saying why in the
CLI's words; a body that is no JSON object is a ``400``. Each request is
answered on its own thread and simulations run on the session's, so the page stays
responsive while a run is under way.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sim.app.model import Session
from sim.app.settings import shown
from sim.safe_yaml import MAX_BYTES

STATIC = resources.files("sim.app") / "static"
MAX_BODY = MAX_BYTES + 64 * 1024  # a scenario file as JSON text


def make_server(session: Session, host: str = "127.0.0.1", port: int = 8765
                ) -> ThreadingHTTPServer:
    """A server for ``session`` bound to ``host:port`` (port 0: any free port).

    Raises:
        OSError: If the address cannot be bound (port in use, unknown host).
    """

    class Handler(_Handler):
        pass

    Handler.session = session
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


BODY_TYPES = {"settings": (dict, "an object"), "yaml": (str, "text"), "name": (str, "text"),
              "scenario": (str, "text")}


def _check_types(body: dict[str, Any]) -> None:
    """Refuse a body field of the wrong JSON type (a hand-made call), naming the field.

    Raises:
        ValueError: ``field: must be ..., got ...``.
    """
    for name, (kind, what) in BODY_TYPES.items():
        value = body.get(name)
        if value is not None and not isinstance(value, kind):
            raise ValueError(f"{name}: must be {what}, got {shown(value)}")


class _Handler(BaseHTTPRequestHandler):
    session: Session
    server_version = "ccsim-app"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is the trainer's, not a log."""

    def do_GET(self) -> None:
        """The page, its assets and the state."""
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            return self._file("index.html")
        if url.path.startswith("/static/"):
            return self._file(url.path.removeprefix("/static/"))
        if url.path == "/api/state":
            floor = parse_qs(url.query).get("floor", [""])[0]
            return self._json(self.session.state(
                floor=int(floor) if floor.isascii() and floor.isdigit() and len(floor) < 19
                else None))
        return self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    def do_POST(self) -> None:
        """Actions: run, open a scenario, pin, unpin."""
        raw = (self.headers.get("Content-Length") or "0").strip()
        if not (raw.isascii() and raw.isdigit()):  # never int() a header's odd text
            return self._json({"error": ["bad request: Content-Length: must be a whole "
                                         f"number >= 0, got {shown(raw)}"]},
                              HTTPStatus.BAD_REQUEST)
        length = int(raw) if len(raw) < 19 else MAX_BODY + 1
        if length > MAX_BODY:
            return self._json({"error": [f"request larger than {MAX_BODY:,} bytes"]},
                              HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(body, dict):
                raise ValueError("not an object")
            _check_types(body)
        except ValueError as exc:
            return self._json({"error": [f"bad request: {exc}"]}, HTTPStatus.BAD_REQUEST)
        session, path = self.session, urlsplit(self.path).path
        refused = HTTPStatus.UNPROCESSABLE_ENTITY  # the input's fault: the error says why
        if path == "/api/run":  # the settings' own fields: the session's error line
            done = session.run(body.get("settings") or {}) is not None
        elif path == "/api/open":
            if body.get("yaml") is not None:
                done = session.open_yaml(body["yaml"], body.get("name") or "")
            else:
                done = session.open_bundled(body.get("scenario") or "")
        elif path == "/api/pin":
            done, refused = session.pin(), HTTPStatus.CONFLICT  # nothing to pin yet
        elif path == "/api/unpin":
            session.unpin()
            done = True
        else:
            return self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
        # refused or not, the answer is the state: the page shows its one-line error
        return self._json(session.state(), HTTPStatus.OK if done else refused)

    def _file(self, name: str) -> None:
        target = STATIC / name
        if "/" in name or name.startswith(".") or not target.is_file():
            return self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return self._send(HTTPStatus.OK, target.read_bytes(), kind)

    def _json(self, data: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(data, allow_nan=False).encode(), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind + ("; charset=utf-8" if kind.startswith(
            ("text/", "application/json", "application/javascript")) else ""))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)  # unless the browser went away
