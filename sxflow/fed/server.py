"""The HTTP server: an ASGI app (run by uvicorn) in front of a Host, and ``serve`` for embedded use.

Endpoints (version 1; every one but health must carry a valid signature):

    POST /v1/call?fn=NAME&key=KEY   body: wire-encoded argument -> wire outcome
    POST /v1/replica?origin=ORIGIN  body: wire-encoded store export -> {"ok": true}
    GET  /v1/replica?origin=ORIGIN  -> the wire-encoded replica (#f when none)
    GET  /v1/names                  -> {"names": [...]}
    GET  /v1/health                 -> {"status": "ok", "wire": 1} (no authentication, no name)

Order of checks: size (413), body arrival within ``body_timeout`` (408), authentication
(401: missing, bad or replayed signature, stale timestamp), route (404/405), then the
body is decoded (400 with a message when malformed) and only then does anything run.
Evaluation happens on worker threads under the Host's one lock, so the event loop —
and every other client — keeps going while a function runs or a client dawdles.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import queue
from urllib.parse import parse_qs

from . import auth, wire
from .host import Host

log = logging.getLogger("sxflow.fed")
MAX_BODY = 64 * 1024 * 1024  # bytes; a 100,000-entry store export is a few MB
BODY_TIMEOUT = 10.0  # seconds a client may take to send its body
WORKERS = 8
_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
_JSON = [(b"content-type", b"application/json")]


class Refusal(Exception):
    """A request answered with an error status and a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FederationApp:
    """The ASGI application serving one Host."""

    def __init__(self, host: Host, secret: bytes, *, max_body: int = MAX_BODY,
                 body_timeout: float = BODY_TIMEOUT, workers: int = WORKERS) -> None:
        self.host = host
        self.secret = secret
        self.verifier = auth.RequestVerifier(secret)
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.workers = Workers(workers)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            status, body, headers = await self._handle(scope, receive)
        except Refusal as refusal:
            status, body, headers = refusal.status, refusal.message.encode("utf-8") + b"\n", _TEXT
            client = scope.get("client") or ("?", 0)
            log.warning("%s %s from %s:%s: %d %s", scope["method"], scope["path"], client[0], client[1],
                        refusal.status, refusal.message)
        except Exception as error:  # a bug here must not take the server down
            log.exception("internal error on %s %s", scope["method"], scope["path"])
            status, body, headers = 500, f"internal error: {type(error).__name__}: {error}\n".encode(), _TEXT
        await send({"type": "http.response.start", "status": status,
                    "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.workers.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _handle(self, scope, receive):
        method, path = scope["method"], scope["path"]
        if path == "/v1/health":
            return 200, json.dumps({"status": "ok", "wire": wire.VERSION}).encode(), _JSON
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        body = await self._read_body(headers, receive)
        target = scope.get("raw_path") or path.encode()
        target = target.decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        problem = self.verifier.verify(method, target, headers, body)
        if problem is not None:
            raise Refusal(401, f"refused: {problem}")
        status, content, content_headers = await self._route(method, path, scope, body)
        signed = auth.sign_response(self.secret, status, headers[auth.NONCE], content)
        return status, content, [*content_headers, *((key.encode(), value.encode()) for key, value in signed.items())]

    async def _read_body(self, headers, receive) -> bytes:
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise Refusal(400, "malformed content-length")
            if int(declared) > self.max_body:
                raise Refusal(413, f"request body too large (limit {self.max_body} bytes)")
        chunks, size = [], 0

        async def read_all():
            nonlocal size
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise Refusal(400, "the client went away")
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    raise Refusal(413, f"request body too large (limit {self.max_body} bytes)")
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return

        import asyncio  # loaded already: uvicorn runs on it (not at import: it is a tenth of the cold start)

        try:
            await asyncio.wait_for(read_all(), self.body_timeout)
        except asyncio.TimeoutError:
            raise Refusal(408, f"the request body did not arrive within {self.body_timeout:g} s") from None
        return b"".join(chunks)

    async def _route(self, method: str, path: str, scope, body: bytes):
        # Names travel in the query (percent-encoded UTF-8), so any symbol or origin name,
        # slashes included, reaches the host as it was sent.
        try:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True,
                             encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise Refusal(400, "the query is not percent-encoded UTF-8") from None
        if path == "/v1/call":
            self._method(method, "POST")
            function, key = query.get("fn", [None])[0], query.get("key", [None])[0]
            if not function or not key:
                raise Refusal(400, "a call needs ?fn=NAME&key=KEY")
            return 200, await self._run(self.host.call, function, body, key), _JSON
        if path == "/v1/names":
            self._method(method, "GET")
            names = await self._run(self.host.names)
            return 200, json.dumps({"names": names}).encode(), _JSON
        if path == "/v1/replica":
            origin = query.get("origin", [None])[0]
            if not origin:
                raise Refusal(400, "a replica request needs ?origin=NAME")
            if method == "POST":
                await self._run(self.host.push_replica, origin, body)
                return 200, b'{"ok":true}', _JSON
            self._method(method, "GET")
            return 200, await self._run(self.host.fetch_replica, origin), _JSON
        raise Refusal(404, f"no such endpoint: {path} (this server speaks /v1/call, /v1/replica, "
                           "/v1/names, /v1/health)")

    @staticmethod
    def _method(method: str, expected: str) -> None:
        if method != expected:
            raise Refusal(405, f"use {expected} here")

    async def _run(self, function, *args):
        try:
            return await self.workers.run(function, *args)
        except wire.WireError as error:
            raise Refusal(400, f"malformed body: {error}") from None


class Workers:
    """Daemon threads that run host methods for the event loop.

    Not a ThreadPoolExecutor: its threads are joined when Python exits, so a Scheme call
    that never ends would keep a stopped server's process alive forever. A daemon
    thread ends with the process, once the graceful shutdown has given calls their time.
    """

    def __init__(self, count: int) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._count = count
        self._stopped = False
        for index in range(count):
            threading.Thread(target=self._work, name=f"sxflow-fed-{index}", daemon=True).start()

    async def run(self, function, *args):
        if self._stopped:
            raise Refusal(503, "the server is shutting down")
        import asyncio  # loaded already, as above

        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((loop, future, function, args))
        return await future

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            loop, future, function, args = job
            try:
                result, error = function(*args), None
            except BaseException as exception:  # handed to the waiting request
                result, error = None, exception
            try:
                loop.call_soon_threadsafe(_settle, future, result, error)
            except RuntimeError:  # the loop has closed: the server stopped meanwhile
                pass

    def stop(self) -> None:
        self._stopped = True
        for _ in range(self._count):
            self._jobs.put(None)


def _settle(future, result, error) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket on ``host``:``port`` (port 0: the OS chooses)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY (Linux). asyncio would set it itself, but not
    # on a socket uvicorn re-creates with socket.fromfd (protocol 0): without it a response
    # head and body in two writes wait 40 ms for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(app: FederationApp, *, graceful_timeout: float = 10.0):
    """A uvicorn Server for ``app`` (quiet: warnings only, no access log)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_keep_alive=5, timeout_graceful_shutdown=graceful_timeout,
                            limit_concurrency=1000, h11_max_incomplete_event_size=64 * 1024)
    return uvicorn.Server(config)


class ServerHandle:
    """A running embedded server: ``.url``, ``.port``, ``.host`` (the Host), ``.close()``."""

    def __init__(self, server, thread: threading.Thread, sock: socket.socket, host: Host) -> None:
        self._server = server
        self._thread = thread
        self._socket = sock
        self.host = host
        self.url = url_of(sock)
        self.port = sock.getsockname()[1]

    def close(self, timeout: float = 15.0) -> None:
        """Stop accepting, let in-flight calls finish (up to the graceful timeout), release the port."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> "ServerHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<sxflow server {self.host.name} at {self.url}>"


def _require_uvicorn() -> None:
    try:
        import uvicorn  # noqa: F401
    except ImportError:
        raise ImportError('serving sxflow over HTTP needs uvicorn: pip install "sxflow[fed]"') from None


def serve(interpreter, name: str, host: str = "127.0.0.1", port: int = 0, secret=None, *,
          secret_file=None, max_body: int = MAX_BODY, body_timeout: float = BODY_TIMEOUT,
          graceful_timeout: float = 10.0) -> ServerHandle:
    """Serve ``interpreter`` (its fed-expose!d functions and replica slots) in a background thread."""
    _require_uvicorn()
    secret = auth.resolve_secret(secret, secret_file)
    peer = Host(interpreter, name)
    if peer.state.secret is None:  # fed-connect! from the served program uses the same secret
        peer.state.secret = secret
    app = FederationApp(peer, secret, max_body=max_body, body_timeout=body_timeout)
    sock = bind(host, port)
    server = make_server(app, graceful_timeout=graceful_timeout)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"sxflow-serve-{name}",
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise RuntimeError(f"sxflow server {name} did not start")
        time.sleep(0.005)
    return ServerHandle(server, thread, sock, peer)
