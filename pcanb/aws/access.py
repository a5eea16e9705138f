"""Wrappers for who may use a CA: tags, permissions for ACM, resource policies."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pandas as pd

from pcanb import tables
from pcanb.aws import arguments
from pcanb.aws.arguments import ca_arn, check_choice, compact
from pcanb.aws.objects import Policy
from pcanb.vocab import ACTION_TYPES

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


# -- permissions ---------------------------------------------------------------------------------


def create_permission(
    pca: Pca,
    certificate_authority_arn: Any,
    principal: str = "acm.amazonaws.com",
    actions: list[str] | tuple[str, ...] = (
        "IssueCertificate",
        "GetCertificate",
        "ListPermissions",
    ),
    *,
    source_account: str | None = None,
) -> None:
    """CreatePermission: let ACM (the only principal AWS allows) issue and renew certificates."""
    for action in actions:
        check_choice("actions", action, ACTION_TYPES)
    pca.client.create_permission(
        **compact(
            CertificateAuthorityArn=ca_arn(certificate_authority_arn),
            Principal=principal,
            Actions=list(actions),
            SourceAccount=source_account,
        )
    )


def list_permissions(pca: Pca, certificate_authority_arn: Any) -> pd.DataFrame:
    """ListPermissions, every page: one row per grant, actions joined by commas."""
    arn = ca_arn(certificate_authority_arn)
    paginator = pca.client.get_paginator("list_permissions")
    records = [
        {
            "arn": arn,
            "principal": p.get("Principal"),
            "source_account": p.get("SourceAccount"),
            "actions": ",".join(p.get("Actions") or []),
            "created_at": p.get("CreatedAt"),
            "policy": p.get("Policy"),
        }
        for page in paginator.paginate(CertificateAuthorityArn=arn)
        for p in page.get("Permissions", [])
    ]
    return tables.frame(records, tables.PERMISSION_COLUMNS)


def delete_permission(
    pca: Pca,
    certificate_authority_arn: Any,
    principal: str = "acm.amazonaws.com",
    *,
    source_account: str | None = None,
) -> None:
    """DeletePermission (ACM can then no longer renew certificates from this CA)."""
    pca.client.delete_permission(
        **compact(
            CertificateAuthorityArn=ca_arn(certificate_authority_arn),
            Principal=principal,
            SourceAccount=source_account,
        )
    )


# -- resource policies -----------------------------------------------------------------------------


def put_policy(pca: Pca, resource_arn: Any, policy: Any) -> None:
    """PutPolicy; ``policy`` as a dict, JSON text or a :class:`Policy`."""
    if isinstance(policy, Policy):
        text = policy.json
    elif isinstance(policy, dict):
        text = json.dumps(policy)
    else:
        text = str(policy)
    pca.client.put_policy(ResourceArn=ca_arn(resource_arn), Policy=text)


def get_policy(pca: Pca, resource_arn: Any) -> Policy:
    """GetPolicy as a :class:`Policy` (ResourceNotFoundException when the CA has none)."""
    arn = ca_arn(resource_arn)
    return Policy(pca.client.get_policy(ResourceArn=arn)["Policy"], arn=arn)


def delete_policy(pca: Pca, resource_arn: Any) -> None:
    """DeletePolicy (succeeds when there is no policy)."""
    pca.client.delete_policy(ResourceArn=ca_arn(resource_arn))
