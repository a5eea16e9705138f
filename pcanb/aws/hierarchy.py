"""``pca.hierarchy()``: every CA of the session with its parent, depth and expiry, as a frame."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pandas as pd

from pcanb.analysis.hierarchy import build_hierarchy
from pcanb.aws.authorities import (
    get_certificate_authority_certificate,
    list_certificate_authorities,
)
from pcanb.x509.decode import CertificateChain

if TYPE_CHECKING:
    from pcanb.aws.session import Pca

#: Statuses in which a CA has a certificate installed that GetCertificateAuthorityCertificate returns.
_INSTALLED = {"ACTIVE", "DISABLED", "EXPIRED", "DELETED"}


def hierarchy(pca: Pca, *, include_deleted: bool = False, max_workers: int = 8) -> pd.DataFrame:
    """The CA tree: one row per CA (and per external CA in their chains), roots first.

    Columns are ``pcanb.analysis.hierarchy.HIERARCHY_COLUMNS``: ``arn``, ``ca_id``,
    ``common_name``, ``parent`` / ``parent_arn`` / ``parent_ca_id``, ``external`` (a CA outside
    the account, known only from a chain), ``root``, ``depth`` (0 for a root),
    ``chain_length``, ``path_length`` (basicConstraints), ``status``, ``usage_mode``,
    ``key_algorithm``, ``not_after``, ``days_to_expiry``, ``outlives_parent``,
    ``monthly_cost_usd``, the certificate's ``subject`` / ``issuer`` / ``ski`` / ``aki``.
    Links come from GetCertificateAuthorityCertificate of each CA (a bounded thread pool).
    DELETED CAs (still restorable) are listed only with ``include_deleted=True``.
    """
    return hierarchy_of(
        pca, list_certificate_authorities(pca), include_deleted=include_deleted,
        max_workers=max_workers,
    )  # fmt: skip


def hierarchy_of(
    pca: Pca, cas: pd.DataFrame, *, include_deleted: bool = False, max_workers: int = 8
) -> pd.DataFrame:
    """:func:`hierarchy` over a CA frame the caller already listed (one ListCertificateAuthorities
    per report, not one per view)."""
    if not include_deleted:
        cas = cas[cas["status"] != "DELETED"].reset_index(drop=True)
    from botocore.exceptions import (
        ClientError,
    )  # botocore is loaded by now (the client made the list)

    installed = list(cas.loc[cas["status"].isin(_INSTALLED), "arn"])

    def fetch(arn: str) -> tuple[str, CertificateChain | None]:
        try:
            return arn, get_certificate_authority_certificate(pca, arn)
        except ClientError:  # a CA whose certificate cannot be read is listed unlinked
            return arn, None

    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        chains = {arn: chain for arn, chain in pool.map(fetch, installed) if chain}
    return build_hierarchy(cas, chains, pca.now())
