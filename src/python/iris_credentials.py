"""On IRIS, a secret read from IRIS's credentials store (``Ens.Config.Credentials``: Interoperability >
Configure > Credentials), so that a key lives neither in a setting nor in a message. The local host has
no such store: there the error says what to use instead."""

from __future__ import annotations

from typing import Any


def credential_password(component: Any, name: str) -> str:
    """The password of the credentials entry ``name``.

    Raises:
        ValueError: outside IRIS (a component without ``iris_handle``), or no such entry; the message
            names the setting and what to do.
    """
    if getattr(component, "iris_handle", None) is None:
        raise ValueError(f"credentials={name!r}: IRIS's credentials store exists only on IRIS; on the local host "
                         "give the key as HF_TOKEN in the host's environment (or the api_key setting)")
    import iris

    entry = iris.cls("Ens.Config.Credentials")._OpenId(name)
    if not entry or not entry.Password:
        raise ValueError(f"credentials={name!r}: no entry with a password of that ID in Interoperability > "
                         "Configure > Credentials")
    return entry.Password
