"""Peers as Ray actors: a named, detached actor hosts one interpreter; a Ray transport reaches it through the shared proxy layer.

Hosting::

    import ray, sxflow.ray
    ray.init(address="auto")                        # or let serve_actor connect for you
    peer = sxflow.ray.serve_actor("peer-b", ["peer.sx"])
    peer.names()                                     # what peer.sx exposed with fed-expose!

``serve_actor`` starts a *named, detached* actor in the namespace ``sxflow`` (detached:
it outlives the process that started it, until ``stop_actor`` or ``ray.kill``). The
actor owns one interpreter with the flow library loaded, evaluates the files (their
text is read here and sent as strings, so they need not exist on the node the actor
runs on) and serves, through the federation's transport-independent ``Host``, what
they expose with ``(fed-expose! table)`` plus the replica slots.

Connecting: ``interp.flow.connect_ray(addr, actor_name, timeout=...)`` or
``(ray-connect! addr actor-name)`` registers ``addr`` in remote.sx's own registry with
proxy procedures from ``sxflow.fed.proxy``; only this module's ``RayTransport``
differs from the HTTP peers. Only wire-encoded bytes (``sxflow.fed.wire``) and strings
cross into an actor: never pickled procedures or environments, so nothing but an
exposed function can run there.

Failures: a dead actor (``ActorDiedError``), one that is restarting or unreachable
(``ActorUnavailableError``), a ``ray.get`` timeout, a missing actor, or any other Ray
error is a ``TransportFailure``, which the proxy raises as ``flow-remote-unreachable``,
so ``remote-failover`` moves on to the next peer.

Restart policy: ``max_restarts=DEFAULT_MAX_RESTARTS`` (3) and ``max_task_retries=0``.
When the actor's process dies (a crash, the OOM killer, a lost node; not an explicit
``ray.kill``, which is final), Ray starts it again and the files are evaluated again,
so the same functions are served; but its in-memory state (store, replica slots,
idempotency memory) is gone. Calls in flight when it died are not retried by Ray: they
fail as ``flow-remote-unreachable``, and the flow decides (failover, or a retry with
the same idempotency key). Give ``store_path`` to keep the actor's store in SQLite
across restarts, or push replicas to a standby; either way a run resumes with
``flow-resume!``.

Ray is an optional extra (``pip install "sxflow[ray]"``) imported only when used.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from . import flow
from .data import Symbol, list_to_python
from .errors import SxError
from .fed.host import Host
from .fed.proxy import TransportFailure, connect
from .fed.state import DEFAULT_TIMEOUT  # seconds a call may take, as for HTTP peers
from .interpreter import Interpreter
from .limits import RAY_MAX_RESTARTS
from .reader import read_forms
from .runtime import fault, register_builtin

NAMESPACE = "sxflow"
DEFAULT_MAX_RESTARTS = RAY_MAX_RESTARTS
READY_TIMEOUT = 60.0  # seconds for a new actor to start and evaluate its files
INSTALL_HINT = 'Ray peers need the optional extra: pip install "sxflow[ray]"'


class RayNotInstalled(SxError, ImportError):
    """Ray is needed for this and is not installed; the message says how to install it."""


class ActorStartError(SxError):
    """A peer actor could not be started: no cluster, a name in use, or its files failed to evaluate."""


def import_ray():
    """The ``ray`` module, or RayNotInstalled naming the extra to install."""
    try:
        import ray
    except ImportError:
        raise RayNotInstalled(INSTALL_HINT) from None
    return ray


def ensure_ray(address: str | None = None):
    """``ray``, connected: the current connection if there is one, else the cluster at ``address``.

    ``address`` None means Ray's own default: ``RAY_ADDRESS`` or a cluster started on this
    machine with ``ray start --head``. This never starts a cluster: a detached actor in a
    cluster that ends with this process would be no peer at all.
    """
    ray = import_ray()
    if not ray.is_initialized():
        target = address or "auto"  # auto: RAY_ADDRESS, else a cluster started here by `ray start`
        try:
            _check_listening(target)
            ray.init(address=target, namespace=NAMESPACE, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise ActorStartError(
                f"no Ray cluster at {target}: start one with 'ray start --head' or give its address ({error})"
            ) from None
    return ray


def _check_listening(address: str) -> None:
    """ConnectionError at once when nothing listens at a HOST:PORT address (Ray itself retries for a minute)."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return  # "auto", a ray:// client address: Ray's own checks apply
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as error:
        raise ConnectionError(error.strerror or str(error)) from None


# ---------------------------------------------------------------------------
# The actor


class PeerActor:
    """One interpreter with the flow library, its files evaluated, served through a fed ``Host``.

    ``ray.remote`` is applied when an actor is started (``serve_actor``), so importing
    this module needs no Ray. Every method takes and returns strings, bytes, None and
    lists of strings. Ray runs one method at a time (``max_concurrency=1``), and the
    Host serialises interpreter access anyway.
    """

    def __init__(self, name: str, sources: list, store_path: str | None = None) -> None:
        self.name = name
        self.host = None
        self.failure: str | None = None
        try:
            interpreter = _peer_interpreter(store_path)
            host = Host(interpreter, name)
            for filename, text in sources:
                interpreter.eval(text, filename)
        except (Exception, SystemExit) as error:  # told to the creator by ready(); the actor then serves nothing
            self.failure = _describe(error)
        else:
            self.host = host

    def ready(self) -> str | None:
        """None when the files evaluated; otherwise why they did not."""
        return self.failure

    def _serving(self):
        if self.host is None:
            raise RuntimeError(f"peer actor {self.name} did not start: {self.failure}")
        return self.host

    def call(self, function: str, argument: bytes, key: str) -> bytes:
        return self._serving().call(function, argument, key)

    def push_replica(self, origin: str, export: bytes) -> None:
        self._serving().push_replica(origin, export)

    def fetch_replica(self, origin: str) -> bytes:
        return self._serving().fetch_replica(origin)

    def names(self) -> list:
        return self._serving().names()

    def process_id(self) -> int:
        return os.getpid()


def _peer_interpreter(store_path: str | None):
    # Only a store kept in a file survives a restart of the actor.
    interpreter = Interpreter(store_path=store_path) if store_path is not None else Interpreter()
    interpreter.load_flow()
    return interpreter


def _describe(error: BaseException) -> str:
    # An SxError's text already says where (file:line:col, caret); anything else gets its type.
    if isinstance(error, SystemExit):
        return f"the files called exit (status {error.code})"
    return str(error) if isinstance(error, SxError) else f"{type(error).__name__}: {error}"


_actor_class = None


def _remote_actor_class(ray):
    global _actor_class
    if _actor_class is None:
        _actor_class = ray.remote(PeerActor)
    return _actor_class


# ---------------------------------------------------------------------------
# Hosting


class RayPeer:
    """A running peer actor: ``name``, ``namespace``, ``actor`` (the Ray handle), and a few helpers."""

    def __init__(self, name: str, namespace: str, actor) -> None:
        self.name = name
        self.namespace = namespace
        self.actor = actor

    def names(self, timeout: float = DEFAULT_TIMEOUT) -> list[str]:
        """What the actor's files exposed with fed-expose!."""
        return import_ray().get(self.actor.names.remote(), timeout=timeout)

    def process_id(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """The id of the process the actor runs in now (it changes when Ray restarts it)."""
        return import_ray().get(self.actor.process_id.remote(), timeout=timeout)

    def kill(self, restart: bool = False) -> None:
        """End the actor (``ray.kill``); with ``restart=True`` Ray starts it again, files evaluated, state empty."""
        import_ray().kill(self.actor, no_restart=not restart)

    def __repr__(self) -> str:
        return f"<RayPeer {self.name} in namespace {self.namespace}>"


def read_sources(files) -> list[tuple[str, str]]:
    """``(path, text)`` of each file, read and syntax-checked here before any actor starts."""
    sources = []
    for path in files:
        path = os.fspath(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ActorStartError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None
        read_forms(text, path)  # an SxSyntaxError with its position, before the actor is made
        sources.append((path, text))
    return sources


def serve_actor(name: str, files=(), *, ray_address: str | None = None, namespace: str = NAMESPACE,
                store_path: str | None = None, max_restarts: int = DEFAULT_MAX_RESTARTS, num_cpus: float = 0,
                ready_timeout: float = READY_TIMEOUT) -> RayPeer:
    """Start the named, detached peer actor ``name`` serving what ``files`` expose; a ``RayPeer``.

    The actor owns one interpreter with the flow library loaded (its store in SQLite at
    ``store_path`` on the actor's node when given) and evaluates the files, read here,
    in order. ``max_restarts`` is Ray's restart budget for a crashed actor (see the
    module docstring); ``num_cpus`` what it reserves (0: a peer waits more than it
    computes, and a small machine can host many). Raises ActorStartError when there is
    no cluster, the name is taken in ``namespace``, or the files fail to evaluate (the
    half-made actor is removed); SxSyntaxError for a file that cannot be read as Scheme.
    """
    if not isinstance(name, str) or not name:
        raise ActorStartError("a peer actor needs a non-empty name")
    sources = read_sources(files)
    ray = ensure_ray(ray_address)
    options = dict(name=name, namespace=namespace, lifetime="detached", max_restarts=max_restarts,
                   max_task_retries=0, num_cpus=num_cpus)
    try:
        actor = _remote_actor_class(ray).options(**options).remote(name, sources, store_path)
    except ValueError as error:  # Ray: the name is already taken in this namespace
        raise ActorStartError(f"cannot start peer actor {name} in namespace {namespace}: {error}") from None
    try:
        failure = ray.get(actor.ready.remote(), timeout=ready_timeout)
    except ray.exceptions.GetTimeoutError:
        failure = f"not ready within {ready_timeout} s"
    except ray.exceptions.RayError as error:
        failure = _actor_error_summary(error)
    if failure is not None:
        ray.kill(actor, no_restart=True)
        raise ActorStartError(f"peer actor {name} did not start: {failure}")
    return RayPeer(name, namespace, actor)


def _actor_error_summary(error: BaseException) -> str:
    """The last line of a Ray error that names a Python exception (Ray's text holds a whole remote traceback)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    named = [line for line in lines if line.split(":", 1)[0].endswith(("Error", "Exception"))]
    summary = named[-1] if named else (lines[0] if lines else type(error).__name__)
    if "No module named 'sxflow'" in summary:
        summary += " (install sxflow where the cluster runs its workers: pip install \"sxflow[ray]\")"
    return summary


def stop_actor(name: str, *, namespace: str = NAMESPACE, ray_address: str | None = None) -> bool:
    """Kill the peer actor ``name`` for good; False when there is none."""
    ray = ensure_ray(ray_address)
    try:
        actor = ray.get_actor(name, namespace=namespace)
    except ValueError:
        return False
    ray.kill(actor, no_restart=True)
    return True


def command_serve(options) -> int:
    """``sxflow serve --ray NAME FILE... [--ray-address ADDR] [--ray-max-restarts N] [--ray-store PATH]``: start, say so, end.

    The actor is detached, so it keeps serving after this command has ended; stop it
    with ``sxflow.ray.stop_actor(NAME)`` or ``ray.kill``.
    """
    peer = serve_actor(options.ray, options.files, ray_address=options.ray_address,
                       max_restarts=options.ray_max_restarts, store_path=options.ray_store)
    address = import_ray().get_runtime_context().gcs_address
    print(f"serving {peer.name} as Ray actor {peer.name} in namespace {peer.namespace} at {address}")
    print("exposes: " + (" ".join(peer.names()) or "nothing (no fed-expose! in the files)"), flush=True)
    return 0


# ---------------------------------------------------------------------------
# Connecting


class RayTransport:
    """The proxy layer's Transport (sxflow.fed.proxy) over a named Ray actor: wire bytes in, wire bytes out.

    The actor is looked up by name on first use and again after it has died (a new
    actor of the same name may have been started since). Every Ray failure — the actor
    died, is restarting or unreachable, is missing, a ``ray.get`` timed out, a method
    failed inside the actor — is a ``TransportFailure``.
    """

    def __init__(self, actor_name: str, *, namespace: str = NAMESPACE, ray_address: str | None = None) -> None:
        self.actor_name = actor_name
        self.namespace = namespace
        self.ray_address = ray_address
        self._actor = None

    def _handle(self, ray):
        actor = self._actor
        if actor is None:
            try:
                actor = ray.get_actor(self.actor_name, namespace=self.namespace)
            except ValueError:
                raise self._failure("no such actor") from None
            self._actor = actor
        return actor

    def _failure(self, why: str):
        return TransportFailure(f"Ray actor {self.actor_name} (namespace {self.namespace}): {why}")

    def _invoke(self, method: str, timeout: float, *args):
        try:
            ray = ensure_ray(self.ray_address)
        except ActorStartError as error:
            raise self._failure(str(error)) from None
        exceptions = ray.exceptions
        actor = self._handle(ray)
        reference = None
        try:
            reference = getattr(actor, method).remote(*args)
            return ray.get(reference, timeout=timeout)
        except exceptions.GetTimeoutError:
            _cancel(ray, reference)  # a queued call is dropped; a running one finishes on its own
            raise self._failure(f"no answer within {timeout} s (the call may have run)") from None
        except exceptions.ActorDiedError as error:
            self._actor = None
            raise self._failure(f"died: {_first_line(error)}") from None
        except exceptions.ActorUnavailableError as error:
            raise self._failure(f"unavailable (restarting?): {_first_line(error)}") from None
        except exceptions.RayError as error:
            raise self._failure(_first_line(error)) from None

    def call(self, function: str, argument: bytes, key: str, timeout: float) -> bytes:
        return self._invoke("call", timeout, function, argument, key)

    def push_replica(self, origin: str, export: bytes, timeout: float) -> None:
        self._invoke("push_replica", timeout, origin, export)

    def fetch_replica(self, origin: str, timeout: float) -> bytes:
        return self._invoke("fetch_replica", timeout, origin)

    def names(self, timeout: float) -> list[str]:
        return self._invoke("names", timeout)

    def __repr__(self) -> str:
        return f"<RayTransport {self.actor_name} in namespace {self.namespace}>"


def _cancel(ray, reference) -> None:
    if reference is None:
        return
    try:
        ray.cancel(reference)
    except Exception:  # cancelling is a courtesy: the failure is reported either way
        pass


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def connect_ray(interpreter, addr, actor_name: str, names=None, timeout: float | None = None, *,
                namespace: str | None = NAMESPACE, ray_address: str | None = None) -> list[str]:
    """Register ``addr`` with a proxy per function the actor ``actor_name`` exposes (ray-connect!).

    ``names`` given: proxies for those without asking the actor (it may be down now).
    A missing or dead actor, when asked, raises flow-remote-unreachable. Returns the names.
    """
    transport = RayTransport(actor_name, namespace=namespace or NAMESPACE, ray_address=ray_address)
    return connect(interpreter, addr, transport, names, DEFAULT_TIMEOUT if timeout is None else timeout)


# ---------------------------------------------------------------------------
# The ray-* Scheme procedures


def install(interpreter) -> None:
    """Define ``ray-connect!`` in the interpreter's global environment (load_flow calls this).

    ``(ray-connect! addr actor-name)`` asks the actor for its names;
    ``(ray-connect! addr actor-name names)`` registers those without asking (names may
    be #f: ask); ``(ray-connect! addr actor-name names seconds)`` sets the per-call
    timeout. Replication to a Ray peer is fed's: ``(fed-replicate-to addr)``,
    ``(fed-fetch-replica addr origin)``, and flow-standby! through flow-set-replicator!.
    """
    function = _ray_connect(interpreter)
    register_builtin(function, "ray-connect!")
    interpreter.environment.define(Symbol("ray-connect!"), function)


def _ray_connect(interpreter):
    def ray_connect(addr, actor_name, names=False, timeout=DEFAULT_TIMEOUT):
        if not isinstance(actor_name, str) or not actor_name:
            raise fault("ray-connect!: the actor name is a non-empty string", kind="wrong-type")
        if names is False:
            names = None
        else:
            try:
                names = list_to_python(names)
            except ValueError:
                raise fault("ray-connect!: names must be a proper list of symbols, or #f", kind="wrong-type") from None
        try:
            connect_ray(interpreter, addr, actor_name, names, timeout)
        except RayNotInstalled as error:
            raise fault(f"ray-connect!: {error}", kind="error") from None

    return ray_connect


flow.add_extension(install)
flow.add_connector("ray", connect_ray)
