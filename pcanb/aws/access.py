"""Wrappers for tags (and, with them, the other access-related actions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from pcanb import tables
from pcanb.aws import arguments
from pcanb.aws.arguments import ca_arn

if TYPE_CHECKING:
    from pcanb.aws.session import Pca


def tag_certificate_authority(pca: Pca, certificate_authority_arn: Any, tags: Any) -> None:
    """TagCertificateAuthority; ``tags`` as ``{"key": "value"}`` or AWS's list form."""
    pca.client.tag_certificate_authority(
        CertificateAuthorityArn=ca_arn(certificate_authority_arn), Tags=arguments.tags(tags)
    )


def untag_certificate_authority(pca: Pca, certificate_authority_arn: Any, tags: Any) -> None:
    """UntagCertificateAuthority; a key alone removes it, a key with a value only on a match.

    ``tags`` may also be a list of plain keys.
    """
    if isinstance(tags, list | tuple) and all(isinstance(t, str) for t in tags):
        tags = {key: None for key in tags}
    pca.client.untag_certificate_authority(
        CertificateAuthorityArn=ca_arn(certificate_authority_arn), Tags=arguments.tags(tags)
    )


def list_tags(pca: Pca, certificate_authority_arn: Any) -> pd.DataFrame:
    """ListTags, every page: columns arn, key, value."""
    arn = ca_arn(certificate_authority_arn)
    paginator = pca.client.get_paginator("list_tags")
    records = [
        {"arn": arn, "key": tag["Key"], "value": tag.get("Value")}
        for page in paginator.paginate(CertificateAuthorityArn=arn)
        for tag in page.get("Tags", [])
    ]
    return tables.frame(records, tables.TAG_COLUMNS)
