"""The fed-* Scheme procedures, installed into each interpreter by load_flow.

    (fed-expose! table)                 serve these functions: ((name procedure) ...),
                                        the shape of a flow-peer-register! table; again
                                        adds to or replaces entries
    (fed-connect! addr url)             register addr with a proxy per function the server
                                        at url exposes (asked now; unreachable -> raises
                                        flow-remote-unreachable)
    (fed-connect! addr url names)       the same for the listed names, without contacting it
    (fed-connect! addr url names secs)  ... with a per-call timeout (names may be #f: ask)
    (fed-call-key key thunk)            run thunk; every proxy call it makes carries key
    (fed-replicate-to addr)             push flow-store-export to addr, filed under (fed-name)
    (fed-fetch-replica addr [origin])   the replica addr holds for origin (default: this
                                        instance's name), or #f
    (fed-name) / (fed-set-name! name)   this instance's name (#f until set)
    (fed-set-secret! secret)            the shared secret for connections made after it
                                        (default: the SXFLOW_FED_SECRET environment variable)
    (fed-last-failure addr)             why the last call to addr failed (a string), or #f

httpx is imported only when fed-connect! makes an HTTP transport.
"""

from __future__ import annotations

from .. import deferred, flow
from ..data import NIL, Symbol, list_to_python
from ..runtime import apply_procedure, fault, register_builtin
from . import host, proxy
from .state import DEFAULT_TIMEOUT, fed_state

MAX_KEY_LENGTH = 256


def install(interpreter) -> None:
    """Define the fed-* procedures in the interpreter's global environment."""
    for name, factory in PROCEDURES.items():
        function = factory(interpreter)
        register_builtin(function, name)
        interpreter.environment.define(Symbol(name), function)


def _expose(interpreter):
    def fed_expose(table):
        try:
            host.expose(interpreter, table)
        except ValueError as error:
            raise fault(str(error), kind="wrong-type") from None

    return fed_expose


def _connect(interpreter):
    def fed_connect(addr, url, names=False, timeout=DEFAULT_TIMEOUT):
        if not isinstance(url, str):
            raise fault("fed-connect!: the url is a string such as \"http://127.0.0.1:8000\"", kind="wrong-type")
        if names is False:
            names = None
        elif names is NIL or hasattr(names, "car"):
            try:
                names = list_to_python(names)
            except ValueError:
                raise fault("fed-connect!: names must be a proper list of symbols", kind="wrong-type") from None
        else:
            raise fault("fed-connect!: names must be a list of symbols or #f", kind="wrong-type")
        connect_http(interpreter, addr, url, names, timeout)

    return fed_connect


def connect_http(interpreter, address, url: str, names=None, timeout: float = DEFAULT_TIMEOUT, secret=None) -> list[str]:
    """Register ``address`` as the sxflow server at ``url`` with one proxy per function (Flow.connect, fed-connect!).

    ``secret`` None: the interpreter's (fed-set-secret!), else ``SXFLOW_FED_SECRET``.
    """
    # The HTTP client (httpx, json, sockets, signing) is imported by the first connection, not by load_flow.
    transport = deferred.fed_client().HttpTransport(url, secret=secret if secret is not None else fed_state(interpreter).secret)
    return proxy.connect(interpreter, address, transport, names, timeout)


def _call_key(interpreter):
    def fed_call_key(key, thunk):
        if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH:
            raise fault(f"fed-call-key: a key is a non-empty string of at most {MAX_KEY_LENGTH} characters",
                        kind="wrong-type")
        keys = fed_state(interpreter).keys
        stack = getattr(keys, "stack", None)
        if stack is None:
            stack = keys.stack = []
        stack.append(key)
        try:
            return apply_procedure(thunk, ())
        finally:
            stack.pop()

    return fed_call_key


def _replicate_to(interpreter):
    def fed_replicate_to(addr):
        proxy.replicate_to(interpreter, addr)

    return fed_replicate_to


def _fetch_replica(interpreter):
    def fed_fetch_replica(addr, origin=None):
        origin = fed_state(interpreter).name if origin is None else origin
        if not isinstance(origin, str):
            raise fault("fed-fetch-replica: which origin? give one, or name this instance with fed-set-name!",
                        kind="wrong-type")
        return proxy.fetch_replica(interpreter, addr, origin)

    return fed_fetch_replica


def _name(interpreter):
    def fed_name():
        name = fed_state(interpreter).name
        return False if name is None else name

    return fed_name


def _set_name(interpreter):
    def fed_set_name(name):
        if not isinstance(name, str) or not name:
            raise fault("fed-set-name!: a name is a non-empty string", kind="wrong-type")
        fed_state(interpreter).name = name

    return fed_set_name


def _set_secret(interpreter):
    def fed_set_secret(secret):
        if not isinstance(secret, str) or not secret:
            raise fault("fed-set-secret!: a secret is a non-empty string", kind="wrong-type")
        fed_state(interpreter).secret = secret.encode("utf-8")

    return fed_set_secret


def _last_failure(interpreter):
    def fed_last_failure(addr):
        link = fed_state(interpreter).peers.get(addr)
        return False if link is None or link.last_failure is None else link.last_failure

    return fed_last_failure


PROCEDURES = {
    "fed-expose!": _expose,
    "fed-connect!": _connect,
    "fed-call-key": _call_key,
    "fed-replicate-to": _replicate_to,
    "fed-fetch-replica": _fetch_replica,
    "fed-name": _name,
    "fed-set-name!": _set_name,
    "fed-set-secret!": _set_secret,
    "fed-last-failure": _last_failure,
}


flow.add_extension(install)
flow.add_connector("http", connect_http)
