"""sxflow.fed.auth: request and response signatures, staleness, replay, and where the secret comes from."""

from __future__ import annotations

import pytest

from sxflow.fed import auth

SECRET = b"a-shared-secret-for-tests"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def signed(method="POST", target="/v1/call?fn=f&key=k", body=b"{}"):
    return method, target, auth.sign_request(SECRET, method, target, body), body


def test_a_signed_request_is_accepted_once():
    verifier = auth.RequestVerifier(SECRET)
    method, target, headers, body = signed()
    assert verifier.verify(method, target, headers, body) is None
    assert "replayed" in verifier.verify(method, target, headers, body)


@pytest.mark.parametrize("change, words", [
    (lambda m, t, h, b: (m, t, h, b + b" "), "bad signature"),
    (lambda m, t, h, b: ("GET", t, h, b), "bad signature"),
    (lambda m, t, h, b: (m, t + "x", h, b), "bad signature"),
    (lambda m, t, h, b: (m, t, {**h, auth.NONCE: "ab" * 16}, b), "bad signature"),
    (lambda m, t, h, b: (m, t, {**h, auth.TIMESTAMP: "1.5"}, b), "bad signature"),
    (lambda m, t, h, b: (m, t, {**h, auth.NONCE: "not hex!"}, b), "malformed"),
    (lambda m, t, h, b: (m, t, {**h, auth.TIMESTAMP: "-5"}, b), "malformed"),
    (lambda m, t, h, b: (m, t, {}, b), "missing"),
])
def test_any_change_to_a_signed_request_is_refused(change, words):
    verifier = auth.RequestVerifier(SECRET)
    assert words in verifier.verify(*change(*signed()))


def test_stale_and_future_timestamps_are_refused_and_nonces_are_forgotten_after_the_window():
    method, target, headers, body = signed()
    stamp = float(headers[auth.TIMESTAMP])
    assert "stale" in auth.RequestVerifier(SECRET, clock=Clock(stamp + 31)).verify(method, target, headers, body)
    assert "stale" in auth.RequestVerifier(SECRET, clock=Clock(stamp - 31)).verify(method, target, headers, body)
    clock = Clock(stamp)
    verifier = auth.RequestVerifier(SECRET, clock=clock)
    assert verifier.verify(method, target, headers, body) is None
    clock.now = stamp + 29
    assert "replayed" in verifier.verify(method, target, headers, body)
    for _ in range(5):  # later requests arrive; nonces older than the window are forgotten
        clock.now += 20
        assert verifier.verify(*signed_at(clock.now)) is None
    assert len(verifier._seen) <= 3


def signed_at(stamp: float, method="POST", target="/v1/names", body=b""):
    import secrets

    timestamp, nonce = f"{stamp:.6f}", secrets.token_hex(16)
    signature = auth.request_signature(SECRET, method, target, timestamp, nonce, body)
    return method, target, {auth.TIMESTAMP: timestamp, auth.NONCE: nonce, auth.SIGNATURE: signature}, body


def test_responses_are_bound_to_their_request():
    body = b'{"ok":true}'
    headers = auth.sign_response(SECRET, 200, "aa" * 16, body)
    assert auth.verify_response(SECRET, 200, "aa" * 16, headers, body) is None
    assert "wrong" in auth.verify_response(SECRET, 200, "bb" * 16, headers, body)  # another request's answer
    assert "wrong" in auth.verify_response(SECRET, 200, "aa" * 16, headers, body + b" ")
    assert "wrong" in auth.verify_response(b"another-secret-entirely", 200, "aa" * 16, headers, body)
    assert "not signed" in auth.verify_response(SECRET, 200, "aa" * 16, {}, body)


def test_the_secret_comes_from_the_argument_a_file_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(auth.SECRET_VARIABLE, "from-the-environment-123")
    assert auth.resolve_secret() == b"from-the-environment-123"
    path = tmp_path / "secret"
    path.write_text("from-a-file-0123456789\n")
    assert auth.resolve_secret(secret_file=path) == b"from-a-file-0123456789"
    assert auth.resolve_secret("given-directly-0123456") == b"given-directly-0123456"
    monkeypatch.delenv(auth.SECRET_VARIABLE)
    with pytest.raises(auth.SecretError, match="SXFLOW_FED_SECRET"):
        auth.resolve_secret()
    with pytest.raises(auth.SecretError, match="too short"):
        auth.resolve_secret("short")
    with pytest.raises(auth.SecretError, match="cannot read"):
        auth.resolve_secret(secret_file=tmp_path / "missing")
