"""HMAC-SHA256 authentication of federation requests and responses, with replay and staleness refused.

A request is signed over its method, target (path and query), timestamp, nonce and
body; a response over its status, the nonce of the request it answers (so an old
response cannot be replayed as the answer to a new request), its own timestamp and
nonce, and its body. Signatures are compared with ``hmac.compare_digest``. The server
refuses a timestamp more than ``MAX_SKEW`` seconds away from its clock and any nonce
it has seen within that window; nonces are remembered only for the window, so the
memory stays bounded by the request rate.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import threading
import time

TIMESTAMP = "x-sxflow-timestamp"
NONCE = "x-sxflow-nonce"
SIGNATURE = "x-sxflow-signature"
MAX_SKEW = 30.0  # seconds
MIN_SECRET_LENGTH = 16
SECRET_VARIABLE = "SXFLOW_FED_SECRET"
_NONCE_SHAPE = re.compile(r"[0-9a-f]{16,64}")
_TIMESTAMP_SHAPE = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")

HOW_TO_SET = (f"set the {SECRET_VARIABLE} environment variable (e.g. export {SECRET_VARIABLE}=$(python -c "
              f"'import secrets; print(secrets.token_hex(32))')) or pass --secret-file PATH; every peer must "
              f"use the same secret, at least {MIN_SECRET_LENGTH} characters")


class SecretError(ValueError):
    """No usable shared secret; the message says how to set one."""


def resolve_secret(secret=None, secret_file=None) -> bytes:
    """The shared secret: given, else read from ``secret_file``, else $SXFLOW_FED_SECRET."""
    if secret is None and secret_file is not None:
        try:
            with open(secret_file, "rb") as handle:
                secret = handle.read().strip()
        except OSError as error:
            raise SecretError(f"cannot read the secret file {secret_file}: {error.strerror}") from None
    if secret is None:
        secret = os.environ.get(SECRET_VARIABLE)
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not secret:
        raise SecretError(f"no shared secret: {HOW_TO_SET}")
    if len(secret) < MIN_SECRET_LENGTH:
        raise SecretError(f"the shared secret is too short ({len(secret)} bytes): {HOW_TO_SET}")
    return secret


def _mac(secret: bytes, head: str, body: bytes) -> str:
    mac = hmac.new(secret, head.encode("utf-8"), hashlib.sha256)
    mac.update(body)
    return mac.hexdigest()


def request_signature(secret: bytes, method: str, target: str, timestamp: str, nonce: str, body: bytes) -> str:
    return _mac(secret, f"request\n{method}\n{target}\n{timestamp}\n{nonce}\n", body)


def response_signature(secret: bytes, status: int, request_nonce: str, timestamp: str, nonce: str,
                       body: bytes) -> str:
    return _mac(secret, f"response\n{status}\n{request_nonce}\n{timestamp}\n{nonce}\n", body)


def _fresh() -> tuple[str, str]:
    return f"{time.time():.6f}", secrets.token_hex(16)


def sign_request(secret: bytes, method: str, target: str, body: bytes) -> dict[str, str]:
    """The headers that authenticate a request."""
    timestamp, nonce = _fresh()
    return {TIMESTAMP: timestamp, NONCE: nonce,
            SIGNATURE: request_signature(secret, method, target, timestamp, nonce, body)}


def sign_response(secret: bytes, status: int, request_nonce: str, body: bytes) -> dict[str, str]:
    """The headers that authenticate a response to the request that carried ``request_nonce``."""
    timestamp, nonce = _fresh()
    return {TIMESTAMP: timestamp, NONCE: nonce,
            SIGNATURE: response_signature(secret, status, request_nonce, timestamp, nonce, body)}


def verify_response(secret: bytes, status: int, request_nonce: str, headers, body: bytes) -> str | None:
    """None when the response is authentic, else why not."""
    timestamp, nonce, signature = headers.get(TIMESTAMP), headers.get(NONCE), headers.get(SIGNATURE)
    if not (timestamp and nonce and signature):
        return "the response is not signed"
    expected = response_signature(secret, status, request_nonce, timestamp, nonce, body)
    if not hmac.compare_digest(expected, signature):
        return "the response signature is wrong (a different secret?)"
    return None


class RequestVerifier:
    """The server's check of a request: signature, freshness and a memory of recent nonces."""

    def __init__(self, secret: bytes, max_skew: float = MAX_SKEW, clock=time.time) -> None:
        self.secret = secret
        self.max_skew = max_skew
        self.clock = clock
        self._seen: dict[str, float] = {}  # nonce -> when it may be forgotten
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def verify(self, method: str, target: str, headers, body: bytes) -> str | None:
        """None when the request may run, else why it is refused. Accepting a request spends its nonce."""
        timestamp, nonce, signature = headers.get(TIMESTAMP), headers.get(NONCE), headers.get(SIGNATURE)
        if not (timestamp and nonce and signature):
            return "missing authentication headers (sign requests with the shared secret)"
        if not _TIMESTAMP_SHAPE.fullmatch(timestamp) or not _NONCE_SHAPE.fullmatch(nonce):
            return "malformed authentication headers"
        expected = request_signature(self.secret, method, target, timestamp, nonce, body)
        if not hmac.compare_digest(expected, signature):
            return "bad signature (a different secret, or the request was altered)"
        now = self.clock()
        if abs(now - float(timestamp)) > self.max_skew:
            return f"stale timestamp (more than {self.max_skew:g} s from the server's clock)"
        with self._lock:
            if now >= self._next_purge:
                self._seen = {key: until for key, until in self._seen.items() if until > now}
                self._next_purge = now + self.max_skew
            if nonce in self._seen:
                return "replayed request (this nonce was used already)"
            self._seen[nonce] = float(timestamp) + self.max_skew
        return None
