"""pcanb: explore, build and audit AWS Private CA from JupyterLab, online or on an offline sandbox.

>>> import pcanb
>>> pca = pcanb.sandbox(":memory:")
>>> root = pca.create_root_ca(common_name="Example Root CA")
"""

from __future__ import annotations

import os
import sys
import types
from typing import TYPE_CHECKING, Any

from pcanb.errors import ChainError, DecodeError, PcanbError, WrongStateError

if TYPE_CHECKING:
    from pcanb.aws.session import Pca

__version__ = "0.1.0"
__all__ = [
    "Certificate",
    "CertificateAuthority",
    "CertificateChain",
    "ChainError",
    "Crl",
    "Csr",
    "DecodeError",
    "IssuedCertificate",
    "Pca",
    "PcanbError",
    "WrongStateError",
    "athena_sql",
    "certificates_frame",
    "charts",
    "connect",
    "inventory",
    "read_audit_report",
    "read_audit_reports",
    "sandbox",
]

_LAZY = {
    "Pca": "pcanb.aws.session",
    "Certificate": "pcanb.x509.decode",
    "CertificateChain": "pcanb.x509.decode",
    "Csr": "pcanb.x509.decode",
    "Crl": "pcanb.x509.decode",
    "CertificateAuthority": "pcanb.aws.objects",
    "IssuedCertificate": "pcanb.aws.objects",
    "read_audit_report": "pcanb.analysis.reports",
    "read_audit_reports": "pcanb.analysis.datasets",
    "athena_sql": "pcanb.analysis.athena",
    "certificates_frame": "pcanb.analysis.certificates",
    "inventory": "pcanb.aws.inventory",
}


#: Names that hand out frames: asking for one registers the ``.pca`` accessor (pandas loads
#: with them anyway) and the Jupyter cards.
_FRAMES = {"read_audit_report", "read_audit_reports", "certificates_frame", "inventory"}
#: Names whose objects have a Jupyter card: asking for one registers the cards.
_CARDS = {
    "Certificate",
    "CertificateChain",
    "Csr",
    "Crl",
    "CertificateAuthority",
    "IssuedCertificate",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name == "charts":  # pcanb.charts: the chart functions; matplotlib loads at the first chart
        return importlib.import_module("pcanb.charts")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pcanb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    if name in _FRAMES:
        _register_accessor()
    if name in _FRAMES or name in _CARDS:
        _register_reprs()
    return value


def _register_accessor() -> None:
    """The ``.pca`` accessor on pandas frames (``report.pca.timeline()``); pandas is loaded by now."""
    from pcanb.ui.accessor import register

    register()


_reprs_registered = False


def _register_reprs() -> None:
    """Rich cards in Jupyter: registered once, when an IPython shell is running."""
    global _reprs_registered
    if _reprs_registered or "IPython" not in sys.modules:
        return
    from pcanb.ui.reprs import register

    _reprs_registered = register()


def connect(
    profile: str | None = None,
    region: str | None = None,
    *,
    endpoint_url: str | None = None,
    session: Any = None,
    config: Any = None,
    account: str | None = None,
) -> Pca:
    """A session on real AWS (or any endpoint speaking the AWS API, e.g. ``pcanb sandbox serve``).

    ``profile`` and ``region`` are the usual AWS CLI profile and region; pass ``session=`` to use
    a boto3 Session you already have. The account id is asked of STS on first use unless
    ``account=`` gives it.
    """
    import boto3

    from pcanb.aws.session import Pca

    if session is None:
        session = boto3.Session(profile_name=profile, region_name=region)
    _register_reprs()
    _register_accessor()
    return Pca(
        session, region=region, account=account, endpoint_url=endpoint_url, client_config=config
    )


def _open_sandbox(
    path: str | os.PathLike[str] | None = None,
    *,
    region: str | None = None,
    account: str | None = None,
    read_only: bool = False,
) -> Pca:
    from pcanb.aws.session import Pca
    from pcanb.sandbox import DEFAULT_ACCOUNT, DEFAULT_REGION, Sandbox

    box = Sandbox(
        path,
        account=account or DEFAULT_ACCOUNT,
        region=region or DEFAULT_REGION,
        read_only=read_only,
    )
    _register_reprs()
    _register_accessor()
    return Pca.on_sandbox(box)


class _SandboxEntry:
    """``pcanb.sandbox(path=None, *, region=None, account=None, read_only=False)``: a session on
    the offline sandbox.

    ``$PCANB_SANDBOX`` or the user data dir by default, any directory, or ``":memory:"`` for a
    throwaway one; ``pca.sandbox`` is the Sandbox. ``read_only=True`` opens an existing sandbox
    without writing to it (a read-only directory will do): reads are answered, actions that
    would change it get ``AccessDeniedException``. Attributes other than the call are those of
    the ``pcanb.sandbox`` package (``pcanb.sandbox.Sandbox``), which shares the name.
    """

    __name__ = "sandbox"
    __qualname__ = "sandbox"
    __module__ = "pcanb"

    def __call__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        region: str | None = None,
        account: str | None = None,
        read_only: bool = False,
    ) -> Pca:
        return _open_sandbox(path, region=region, account=account, read_only=read_only)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        import importlib

        return getattr(importlib.import_module("pcanb.sandbox"), name)

    def __repr__(self) -> str:
        return "<function pcanb.sandbox(path=None, *, region=None, account=None, read_only=False)>"


sandbox = _SandboxEntry()


class _Package(types.ModuleType):
    """The ``pcanb`` module: keeps ``pcanb.sandbox`` the entry point when ``pcanb/sandbox/`` loads.

    Importing a submodule binds it on its package under its own name, which would replace the
    ``sandbox()`` function with the ``pcanb.sandbox`` package after the first sandbox was opened.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "sandbox" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
