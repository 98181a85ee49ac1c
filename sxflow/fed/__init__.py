"""Federation: peers in other processes, reached through proxy procedures registered with remote.sx.

The layers (transport-independent ones first): ``wire`` (plain data as tagged JSON),
``state`` (what an interpreter keeps), ``host`` (the serving side), ``proxy`` (the
calling side and the Transport protocol), ``procedures`` (the fed-* Scheme
procedures); then HTTP: ``auth`` (HMAC signing), ``client`` (an httpx Transport),
``server`` (the uvicorn ASGI app, ``serve``) and ``command`` (``sxflow serve``).
Only ``client``, ``server`` and ``command`` need the ``sxflow[fed]`` extra.
"""

from __future__ import annotations

from .. import deferred


def serve(interpreter, name: str, host: str = "127.0.0.1", port: int = 0, secret=None, **options):
    """Serve ``interpreter`` over HTTP in a background thread; a handle with ``.url``, ``.port``, ``.close()``.

    (``sxflow.fed.server`` and its stdlib are imported here, not with the package: the
    fed-* procedures of the flow library do not need them.)
    """
    return deferred.fed_server().serve(interpreter, name=name, host=host, port=port, secret=secret, **options)


__all__ = ["serve"]
