"""The HTTP Transport: an httpx client (keep-alive pool, connect and read timeouts) speaking to sxflow serve.

Every request is signed (sxflow.fed.auth) and every answer must be a signed 200 for
this very request; anything else — refused, reset, timed out, a 5xx, a 4xx, a
response failing authentication — raises ``TransportFailure`` with the reason.
Needs the ``sxflow[fed]`` extra.
"""

from __future__ import annotations

import json
import socket
from urllib.parse import quote, urlsplit

from . import auth
from .proxy import TransportFailure

# httpx is imported by the first HttpTransport: it is an optional extra, and importing
# it costs more than the interpreter's whole cold start (most programs never connect).
httpx = None

API = "/v1"
CONNECT_TIMEOUT = 2.0  # connecting to a live peer on a network takes milliseconds


def _require_httpx():
    global httpx
    if httpx is None:
        try:
            import httpx
        except ImportError:  # pragma: no cover - depends on the installation
            raise ImportError('connecting to sxflow peers over HTTP needs httpx: pip install "sxflow[fed]"') from None


class HttpTransport:
    """One peer at ``url`` (``http://host:port``), reached with a shared secret."""

    def __init__(self, url: str, secret=None, *, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        _require_httpx()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not a peer URL: {url!r} (expected http://HOST:PORT)")
        self.url = f"{parts.scheme}://{parts.netloc}"
        self.secret = auth.resolve_secret(secret)
        self.connect_timeout = connect_timeout
        # TCP_NODELAY: headers and body leave in separate writes; with Nagle's algorithm the
        # second waits for the peer's delayed ACK, 40 ms a call.
        # Idle connections are dropped here (2 s) before the server drops them (5 s), so a
        # request is never sent down a connection the server is closing at that moment.
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=8, keepalive_expiry=2.0)
        pool = httpx.HTTPTransport(limits=limits,
                                   socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        self._client = httpx.Client(base_url=self.url, transport=pool, trust_env=False)

    def close(self) -> None:
        self._client.close()

    def _request(self, method: str, target: str, body: bytes, timeout: float) -> bytes:
        headers = auth.sign_request(self.secret, method, target, body)
        headers["content-type"] = "application/json"
        limits = httpx.Timeout(timeout, connect=min(self.connect_timeout, timeout))
        try:
            response = self._client.request(method, target, content=body, headers=headers, timeout=limits)
        except httpx.TimeoutException as error:
            raise TransportFailure(f"{self.url}: timed out after {timeout:g} s ({type(error).__name__}); "
                                   "the call may have run") from None
        except httpx.HTTPError as error:
            raise TransportFailure(f"{self.url}: {type(error).__name__}: {error}") from None
        content = response.content
        if response.status_code != 200:
            reason = content[:200].decode("utf-8", "replace")
            raise TransportFailure(f"{self.url}: HTTP {response.status_code}: {reason}")
        problem = auth.verify_response(self.secret, 200, headers[auth.NONCE], response.headers, content)
        if problem is not None:
            raise TransportFailure(f"{self.url}: {problem}")
        return content

    def call(self, function: str, argument: bytes, key: str, timeout: float) -> bytes:
        target = f"{API}/call?fn={quote(function, safe='')}&key={quote(key, safe='')}"
        return self._request("POST", target, argument, timeout)

    def push_replica(self, origin: str, export: bytes, timeout: float) -> None:
        self._request("POST", f"{API}/replica?origin={quote(origin, safe='')}", export, timeout)

    def fetch_replica(self, origin: str, timeout: float) -> bytes:
        return self._request("GET", f"{API}/replica?origin={quote(origin, safe='')}", b"", timeout)

    def names(self, timeout: float) -> list[str]:
        content = self._request("GET", f"{API}/names", b"", timeout)
        try:
            names = json.loads(content)["names"]
        except (ValueError, KeyError, TypeError):
            raise TransportFailure(f"{self.url}: a malformed list of names") from None
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise TransportFailure(f"{self.url}: a malformed list of names")
        return names
