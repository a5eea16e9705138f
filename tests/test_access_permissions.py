"""CreatePermission / ListPermissions / DeletePermission through boto3 against the sandbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from conftest import EC_CA, error_code

ACM = "acm.amazonaws.com"
ALL_ACTIONS = ["IssueCertificate", "GetCertificate", "ListPermissions"]


def permissions(client, arn: str) -> list[dict]:
    return client.list_permissions(CertificateAuthorityArn=arn)["Permissions"]


def pending_ca(client) -> str:
    """A CA in PENDING_CERTIFICATE (no certificate installed)."""
    return client.create_certificate_authority(
        CertificateAuthorityConfiguration=EC_CA, CertificateAuthorityType="ROOT"
    )["CertificateAuthorityArn"]


# -- happy paths ---------------------------------------------------------------------------------


def test_create_list_delete(pca, client, root):
    assert permissions(client, root.arn) == []
    client.create_permission(CertificateAuthorityArn=root.arn, Principal=ACM, Actions=ALL_ACTIONS)
    [grant] = permissions(client, root.arn)
    assert grant["CertificateAuthorityArn"] == root.arn
    assert grant["Principal"] == ACM
    assert grant["Actions"] == ALL_ACTIONS
    assert "SourceAccount" not in grant
    assert abs(grant["CreatedAt"] - pca.sandbox.now()).total_seconds() < 5
    # The generated policy grants exactly these actions to the ACM service on this CA.
    policy = json.loads(grant["Policy"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": ACM}
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == root.arn
    assert statement["Action"] == [f"acm-pca:{a}" for a in ALL_ACTIONS]

    client.delete_permission(CertificateAuthorityArn=root.arn, Principal=ACM)
    assert permissions(client, root.arn) == []


def test_source_account_and_subset_of_actions(client, root):
    client.create_permission(
        CertificateAuthorityArn=root.arn,
        Principal=ACM,
        Actions=["GetCertificate"],
        SourceAccount="111122223333",
    )
    [grant] = permissions(client, root.arn)
    assert grant["SourceAccount"] == "111122223333"
    assert grant["Actions"] == ["GetCertificate"]
    statement = json.loads(grant["Policy"])["Statement"][0]
    assert statement["Action"] == ["acm-pca:GetCertificate"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}


def test_allowed_on_a_pending_ca(client):
    arn = pending_ca(client)
    client.create_permission(CertificateAuthorityArn=arn, Principal=ACM, Actions=ALL_ACTIONS)
    assert [p["Principal"] for p in permissions(client, arn)] == [ACM]
    client.delete_permission(CertificateAuthorityArn=arn, Principal=ACM)
    assert permissions(client, arn) == []


def test_permissions_belong_to_one_ca(client, root, issuing):
    client.create_permission(CertificateAuthorityArn=root.arn, Principal=ACM, Actions=ALL_ACTIONS)
    assert permissions(client, issuing.arn) == []
    with pytest.raises(ClientError) as excinfo:
        client.delete_permission(CertificateAuthorityArn=issuing.arn, Principal=ACM)
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert len(permissions(client, root.arn)) == 1


# -- paging --------------------------------------------------------------------------------------


def test_paging_with_max_results_one(client, root):
    client.create_permission(CertificateAuthorityArn=root.arn, Principal=ACM, Actions=ALL_ACTIONS)
    page = client.list_permissions(CertificateAuthorityArn=root.arn, MaxResults=1)
    assert [p["Principal"] for p in page["Permissions"]] == [ACM]
    assert "NextToken" not in page  # exactly one grant: nothing left


def test_paging_tokens_walk_every_row(pca, client, root):
    """Grants for several (principal, source account) rows, read one per page."""
    # AWS has a single valid principal, so extra rows are planted in the store directly to
    # give the pager something to walk; the rows carry distinct source accounts.
    accounts = ["000000000001", "000000000002", "000000000003"]
    with pca.sandbox.store.write() as db:
        for number, account in enumerate(accounts):
            db.execute(
                "INSERT INTO permissions (ca_arn, principal, source_account, actions, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (root.arn, ACM, account, json.dumps(["GetCertificate"]), 1.7e9 + number),
            )
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = client.list_permissions(CertificateAuthorityArn=root.arn, MaxResults=1, **kwargs)
        pages += 1
        assert len(page["Permissions"]) == 1
        seen.append(page["Permissions"][0]["SourceAccount"])
        token = page.get("NextToken")
        if not token:
            break
    assert seen == accounts
    assert pages == 3
    paginator = client.get_paginator("list_permissions")
    walked = [
        p["SourceAccount"]
        for page in paginator.paginate(
            CertificateAuthorityArn=root.arn, PaginationConfig={"PageSize": 1}
        )
        for p in page["Permissions"]
    ]
    assert walked == accounts
    assert [p["CreatedAt"] for p in permissions(client, root.arn)] == [
        datetime.fromtimestamp(1.7e9 + n, UTC) for n in range(3)
    ]


def test_bad_next_token(client, root):
    with pytest.raises(ClientError) as excinfo:
        client.list_permissions(CertificateAuthorityArn=root.arn, NextToken="not-a-token")
    assert error_code(excinfo) == "InvalidNextTokenException"


# -- failures leave the state alone --------------------------------------------------------------


def test_duplicate_is_refused(client, root):
    client.create_permission(
        CertificateAuthorityArn=root.arn, Principal=ACM, Actions=["IssueCertificate"]
    )
    before = permissions(client, root.arn)
    with pytest.raises(ClientError) as excinfo:
        client.create_permission(
            CertificateAuthorityArn=root.arn, Principal=ACM, Actions=ALL_ACTIONS
        )
    assert error_code(excinfo) == "PermissionAlreadyExistsException"
    assert isinstance(excinfo.value, client.exceptions.PermissionAlreadyExistsException)
    assert permissions(client, root.arn) == before
    assert before[0]["Actions"] == ["IssueCertificate"]


@pytest.mark.parametrize(
    "principal", ["acm-pca.amazonaws.com", "123456789012", "ec2.amazonaws.com"]
)
def test_only_acm_may_be_given_permission(client, root, principal):
    """Answered with a code CreatePermission's model lists, so the client raises it as
    ``client.exceptions.RequestFailedException`` [inferred code]."""
    with pytest.raises(client.exceptions.RequestFailedException) as excinfo:
        client.create_permission(
            CertificateAuthorityArn=root.arn, Principal=principal, Actions=ALL_ACTIONS
        )
    assert error_code(excinfo) == "RequestFailedException"
    assert ACM in excinfo.value.response["Error"]["Message"]
    assert permissions(client, root.arn) == []


def test_wildcard_principal_fails_the_model_pattern(client, root):
    with pytest.raises(ClientError) as excinfo:
        client.create_permission(
            CertificateAuthorityArn=root.arn, Principal="*", Actions=ALL_ACTIONS
        )
    assert error_code(excinfo) == "ValidationException"
    assert permissions(client, root.arn) == []


def test_bad_action_enum(client, root):
    with pytest.raises(ClientError) as excinfo:
        client.create_permission(
            CertificateAuthorityArn=root.arn, Principal=ACM, Actions=["IssueCertificate", "Revoke"]
        )
    assert error_code(excinfo) == "ValidationException"
    assert "Revoke" in excinfo.value.response["Error"]["Message"]
    assert permissions(client, root.arn) == []


def test_delete_unknown_permission(client, root):
    with pytest.raises(ClientError) as excinfo:
        client.delete_permission(CertificateAuthorityArn=root.arn, Principal=ACM)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_delete_with_another_source_account_deletes_nothing(client, root):
    client.create_permission(
        CertificateAuthorityArn=root.arn,
        Principal=ACM,
        Actions=ALL_ACTIONS,
        SourceAccount="111122223333",
    )
    with pytest.raises(ClientError) as excinfo:
        client.delete_permission(
            CertificateAuthorityArn=root.arn, Principal=ACM, SourceAccount="444455556666"
        )
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert len(permissions(client, root.arn)) == 1
    client.delete_permission(
        CertificateAuthorityArn=root.arn, Principal=ACM, SourceAccount="111122223333"
    )
    assert permissions(client, root.arn) == []


def test_unknown_ca(client, root):
    missing = root.arn[:-12] + "000000000000"
    for call in (
        lambda: client.create_permission(
            CertificateAuthorityArn=missing, Principal=ACM, Actions=ALL_ACTIONS
        ),
        lambda: client.list_permissions(CertificateAuthorityArn=missing),
        lambda: client.delete_permission(CertificateAuthorityArn=missing, Principal=ACM),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "ResourceNotFoundException"


def _every_permission_action_refused(client, arn: str, status: str) -> None:
    """Create, list and delete all answer InvalidStateException naming ``status``."""
    for call in (
        lambda: client.create_permission(
            CertificateAuthorityArn=arn, Principal=ACM, Actions=ALL_ACTIONS
        ),
        lambda: client.list_permissions(CertificateAuthorityArn=arn),
        lambda: client.delete_permission(CertificateAuthorityArn=arn, Principal=ACM),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "InvalidStateException"
        assert status in excinfo.value.response["Error"]["Message"]


def test_creating_ca_refuses_every_permission_action(pca, client):
    pca.sandbox.configure(creation_delay=60)
    arn = pending_ca(client)
    status = client.describe_certificate_authority(CertificateAuthorityArn=arn)
    assert status["CertificateAuthority"]["Status"] == "CREATING"
    _every_permission_action_refused(client, arn, "CREATING")
    pca.sandbox.advance(minutes=2)
    assert permissions(client, arn) == []  # nothing was recorded while CREATING


def test_deleted_ca_refuses_every_permission_action(pca, client):
    arn = pending_ca(client)
    client.create_permission(CertificateAuthorityArn=arn, Principal=ACM, Actions=ALL_ACTIONS)
    client.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=7)
    _every_permission_action_refused(client, arn, "DELETED")
    client.restore_certificate_authority(CertificateAuthorityArn=arn)
    # The grant made before the deletion is still there: the refused delete removed nothing.
    assert [p["Actions"] for p in permissions(client, arn)] == [ALL_ACTIONS]


# -- toolkit -------------------------------------------------------------------------------------


def test_toolkit_permissions(pca, root):
    pca.create_permission(root)
    frame = pca.list_permissions(root)
    assert list(frame.columns) == [
        "arn", "principal", "source_account", "actions", "created_at", "policy",
    ]  # fmt: skip
    assert frame.loc[0, "principal"] == ACM
    assert frame.loc[0, "actions"] == "IssueCertificate,GetCertificate,ListPermissions"
    assert frame.loc[0, "created_at"].tzinfo is not None
    pca.delete_permission(root)
    assert len(pca.list_permissions(root)) == 0
