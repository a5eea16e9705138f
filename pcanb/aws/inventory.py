"""``pcanb.inventory()``: the CAs of several regions and accounts, listed in parallel, in one frame."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

import pandas as pd

from pcanb import tables
from pcanb.aws.authorities import list_certificate_authorities
from pcanb.aws.session import Pca
from pcanb.errors import PcanbError
from pcanb.vocab import Arn

#: The keys of each record in ``frame.attrs["errors"]``.
_ERROR_KEYS = ("profile", "account", "region", "error_code", "message")


def inventory(
    regions: str | Iterable[str] | None = None,
    profiles: str | Iterable[str | None] | None = None,
    *,
    sandbox: Any = None,
    session: Any = None,
    max_workers: int = 8,
    include_deleted: bool = False,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Every CA of every (profile, region) pair, one row each, ``account`` and ``region`` included.

    Parameters
    ----------
    regions
        Region names; ``None`` for the session's own region (``us-east-1`` when none is
        configured, as with ``pcanb.connect``); ``"all"`` for every region where botocore
        lists acm-pca.
    profiles
        AWS CLI profile names; ``None`` for the default credentials. Not with ``sandbox=`` or
        ``session=``.
    sandbox
        A ``Sandbox`` (``pca.sandbox``): list the CAs it holds in each region.
    session
        A ``Pca`` or a boto3 ``Session`` to use instead of profiles.
    max_workers
        At most this many ListCertificateAuthorities run at once.
    include_deleted
        Keep CAs in DELETED status (still restorable); left out by default.
    progress
        A tqdm bar: ``None`` shows one when tqdm is installed and there is more than one
        target, ``True`` always, ``False`` never.

    Returns
    -------
    pandas.DataFrame
        ``tables.INVENTORY_COLUMNS``: the columns of ``pca.list_certificate_authorities()``
        with ``account`` and ``region`` after ``arn``. Targets that fail (no access, a
        disabled region, an unknown profile) are records (profile, account, region, error_code,
        message) in ``frame.attrs["errors"]`` and one warning; when every target fails a
        ``PcanbError`` lists them.

    Examples
    --------
    >>> pcanb.inventory(regions=["us-east-1", "eu-west-1"], profiles=["prod", "audit"])
    >>> pcanb.inventory(regions="all", session=pca)
    """
    if not isinstance(max_workers, int) or max_workers < 1:
        raise PcanbError(f"max_workers must be a positive integer; got {max_workers!r}")
    targets, failures = _targets(_bases(profiles, sandbox, session), regions)
    if not targets and not failures:
        raise PcanbError(
            "no region to list: pass regions=None (the session's region), a list, or 'all'"
        )
    results: list[pd.DataFrame | dict[str, Any] | None] = [None] * len(targets)
    lock = threading.Lock()

    def work(index: int) -> None:
        profile, pca = targets[index]
        try:
            with lock:  # boto3 Sessions are not thread-safe: clients are made one at a time
                pca.client  # noqa: B018
            results[index] = list_certificate_authorities(pca)
        except _recoverable() as error:
            results[index] = _failure(profile, pca.known_account, pca.region, error)

    bar = _bar(len(targets), progress)
    try:
        with ThreadPoolExecutor(max_workers=max_workers) as pool:
            for future in as_completed([pool.submit(work, i) for i in range(len(targets))]):
                future.result()
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()
    return _combine(targets, results, failures, include_deleted)


_Base = tuple[str | None, Pca | dict[str, Any]]


def _bases(profiles: Any, sandbox: Any, session: Any) -> list[_Base]:
    """(profile, session) per account to list from; a failure row when a session cannot be made."""
    if sandbox is not None and session is not None:
        raise PcanbError("pass sandbox= or session=, not both")
    if (sandbox is not None or session is not None) and profiles is not None:
        raise PcanbError(
            "profiles= picks AWS credentials; it does not combine with sandbox= or session= "
            "(call pcanb.inventory once per source)"
        )
    if sandbox is not None:
        return [(None, Pca.on_sandbox(sandbox))]
    if isinstance(session, Pca):
        return [(None, session)]
    if session is not None:
        return [(None, Pca(session))]
    import boto3
    from botocore.exceptions import BotoCoreError

    names = [profiles] if profiles is None or isinstance(profiles, str) else list(profiles)
    bases: list[_Base] = []
    for name in dict.fromkeys(names):
        try:
            bases.append((name, Pca(boto3.Session(profile_name=name))))
        except BotoCoreError as error:  # ProfileNotFound and the like: that profile only
            bases.append((name, _failure(name, None, None, error)))
    return bases


def _targets(
    bases: list[_Base], regions: str | Iterable[str] | None
) -> tuple[list[tuple[str | None, Pca]], list[dict[str, Any]]]:
    """(profile, session) per region to list, and the failures of sessions that cannot be made."""
    targets: list[tuple[str | None, Pca]] = []
    failures: list[dict[str, Any]] = []
    for profile, base in bases:
        if isinstance(base, dict):
            wanted = _region_names(None, regions)
            failures += [{**base, "region": r} for r in wanted] if wanted else [base]
            continue
        for region in _region_names(base, regions):
            targets.append((profile, base if region == base.region else base.in_region(region)))
    return targets, failures


def _region_names(base: Pca | None, regions: str | Iterable[str] | None) -> list[str]:
    """The regions asked for; ``[]`` when they depend on a session that could not be made."""
    if regions is None:
        return [base.region] if base is not None else []
    if regions == "all":
        return list(base.session.get_available_regions("acm-pca")) if base is not None else []
    if isinstance(regions, str):
        return [regions]
    names = list(dict.fromkeys(regions)) if isinstance(regions, Iterable) else None
    if names is None or not all(isinstance(name, str) for name in names):
        raise PcanbError(
            f"regions must be None (the session's region), 'all', a region name or a list of "
            f"region names, not {regions!r}"
        )
    return names


def _recoverable() -> tuple[type[BaseException], ...]:
    """Failures that end one target but not the inventory (botocore is loaded by now)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return (ClientError, BotoCoreError, PcanbError)


def _failure(
    profile: str | None, account: str | None, region: str | None, error: BaseException
) -> dict[str, Any]:
    details = getattr(error, "response", None) or {}
    code = (details.get("Error") or {}).get("Code") or type(error).__name__
    message = (details.get("Error") or {}).get("Message") or str(error)
    return {
        "profile": profile,
        "account": account,
        "region": region,
        "error_code": code,
        "message": message,
    }


def _source(failure: dict[str, Any]) -> str:
    """Whose credentials: the profile, else the account, else the default credentials."""
    return failure["profile"] or failure["account"] or "default credentials"


def _bar(total: int, progress: bool | None) -> Any:
    if progress is False or (progress is None and total < 2):
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm comes with the notebook extra
        if progress:
            raise PcanbError(
                "progress=True needs tqdm: pip install tqdm (or the notebook extra)"
            ) from None
        return None
    return tqdm(total=total, desc="ListCertificateAuthorities", leave=False)


def _combine(
    targets: list[tuple[str | None, Pca]],
    results: list[pd.DataFrame | dict[str, Any] | None],
    failures: list[dict[str, Any]],
    include_deleted: bool,
) -> pd.DataFrame:
    total = len(targets) + len(failures)
    failures = failures + [r for r in results if isinstance(r, dict)]
    if len(failures) == total:
        listed = "".join(
            f"\n  - {_source(f)} / {f['region'] or '?'}: {f['error_code']}: {f['message']}"
            for f in failures
        )
        raise PcanbError(
            f"no region could be listed:{listed}\n"
            "Check the profiles' credentials and that acm-pca is enabled in those regions."
        )
    records = [
        {**row, "account": Arn.parse(row["arn"]).account, "region": pca.region}
        for (_, pca), listing in zip(targets, results, strict=True)
        if isinstance(listing, pd.DataFrame)
        for row in listing.to_dict("records")
        if include_deleted or row["status"] != "DELETED"
    ]
    frame = tables.frame(records, tables.INVENTORY_COLUMNS)
    # Plain records, not a DataFrame: pandas compares attrs when frames are concatenated, and
    # comparing two DataFrames raises (``pd.DataFrame(frame.attrs["errors"])`` makes the table).
    frame.attrs["errors"] = [{key: f.get(key) for key in _ERROR_KEYS} for f in failures]
    if failures:
        where = ", ".join(f"{_source(f)}/{f['region'] or '?'}" for f in failures)
        warnings.warn(
            f"pcanb.inventory: {len(failures)} of {total} targets could not be listed ({where}); "
            "see frame.attrs['errors']",
            stacklevel=3,
        )
    return frame
