"""PutPolicy / GetPolicy / DeletePolicy through boto3, and the toolkit's ``Policy``."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from botocore.exceptions import ClientError
from conftest import EC_CA, error_code

import pcanb
from pcanb.aws.objects import Policy

ACCOUNT = "444455556666"
END_ENTITY = "arn:aws:acm-pca:::template/EndEntityCertificate/V1"
READ_ACTIONS = [
    "acm-pca:DescribeCertificateAuthority",
    "acm-pca:GetCertificate",
    "acm-pca:GetCertificateAuthorityCertificate",
    "acm-pca:ListPermissions",
    "acm-pca:ListTags",
]


def documented_policy(ca_arn: str) -> dict:
    """The resource policy of the user guide (pca-rbp), for one account and this CA."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "1",
                "Effect": "Allow",
                "Principal": {"AWS": ACCOUNT},
                "Action": READ_ACTIONS,
                "Resource": ca_arn,
            },
            {
                "Sid": "1",
                "Effect": "Allow",
                "Principal": {"AWS": ACCOUNT},
                "Action": ["acm-pca:IssueCertificate"],
                "Resource": ca_arn,
                "Condition": {"StringEquals": {"acm-pca:TemplateArn": END_ENTITY}},
            },
        ],
    }


def organization_policy(ca_arn: str) -> dict:
    """The Organizations variant: any principal of one organisation."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "1",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "acm-pca:IssueCertificate",
                "Resource": ca_arn,
                "Condition": {
                    "StringEquals": {
                        "acm-pca:TemplateArn": END_ENTITY,
                        "aws:PrincipalOrgID": "o-a1b2c3d4z5",
                    }
                },
            },
            {
                "Sid": "1",
                "Effect": "Allow",
                "Principal": "*",
                "Action": READ_ACTIONS,
                "Resource": ca_arn,
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4z5"}},
            },
        ],
    }


def stored_policy(client, arn: str) -> str | None:
    try:
        return client.get_policy(ResourceArn=arn)["Policy"]
    except client.exceptions.ResourceNotFoundException:
        return None


def test_documented_policy_is_accepted_and_returned_verbatim(client, root):
    # Indented, with a trailing newline: GetPolicy returns the very text that was put.
    text = json.dumps(documented_policy(root.arn), indent=3) + "\n"
    client.put_policy(ResourceArn=root.arn, Policy=text)
    assert client.get_policy(ResourceArn=root.arn)["Policy"] == text


def test_organizations_variant_is_accepted(client, root):
    text = json.dumps(organization_policy(root.arn))
    client.put_policy(ResourceArn=root.arn, Policy=text)
    assert stored_policy(client, root.arn) == text


def test_put_replaces_and_delete_removes(client, root):
    first = json.dumps(documented_policy(root.arn))
    second = json.dumps(organization_policy(root.arn))
    client.put_policy(ResourceArn=root.arn, Policy=first)
    client.put_policy(ResourceArn=root.arn, Policy=second)
    assert stored_policy(client, root.arn) == second
    client.delete_policy(ResourceArn=root.arn)
    assert stored_policy(client, root.arn) is None


def test_get_without_a_policy(client, root):
    with pytest.raises(ClientError) as excinfo:
        client.get_policy(ResourceArn=root.arn)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_delete_without_a_policy_succeeds(client, root):
    client.delete_policy(ResourceArn=root.arn)
    client.delete_policy(ResourceArn=root.arn)
    assert stored_policy(client, root.arn) is None


def test_policies_belong_to_one_ca(client, root, issuing):
    client.put_policy(ResourceArn=issuing.arn, Policy=json.dumps(documented_policy(issuing.arn)))
    assert stored_policy(client, root.arn) is None
    client.delete_policy(ResourceArn=root.arn)
    assert stored_policy(client, issuing.arn) is not None


def _statement(ca_arn: str, **changes) -> dict:
    statement = {
        "Sid": "1",
        "Effect": "Allow",
        "Principal": {"AWS": ACCOUNT},
        "Action": ["acm-pca:GetCertificate"],
        "Resource": ca_arn,
    }
    statement.update(changes)
    return {k: v for k, v in statement.items() if v is not None}


INVALID = {
    "malformed JSON": (lambda arn: '{"Version": "2012-10-17", "Statement": [', "not JSON"),
    "not an object": (lambda arn: json.dumps([_statement(arn)]), "JSON object"),
    "wrong Version": (
        lambda arn: json.dumps({"Version": "2012-10-18", "Statement": [_statement(arn)]}),
        "Version",
    ),
    "no Version": (lambda arn: json.dumps({"Statement": [_statement(arn)]}), "Version"),
    "no Statement": (lambda arn: json.dumps({"Version": "2012-10-17"}), "Statement"),
    "s3 action": (
        lambda arn: json.dumps(
            {"Version": "2012-10-17", "Statement": [_statement(arn, Action=["s3:PutObject"])]}
        ),
        "s3:PutObject",
    ),
    "wildcard action": (
        lambda arn: json.dumps(
            {"Version": "2012-10-17", "Statement": [_statement(arn, Action="acm-pca:*")]}
        ),
        "acm-pca:*",
    ),
    "another CA": (
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [_statement(arn[:-12] + "000000000000")],
            }
        ),
        "Resource",
    ),
    "wildcard resource": (
        lambda arn: json.dumps(
            {"Version": "2012-10-17", "Statement": [_statement(arn, Resource="*")]}
        ),
        "Resource",
    ),
    "NotAction": (
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    _statement(arn, Action=None, NotAction=["acm-pca:RevokeCertificate"])
                ],
            }
        ),
        "NotAction",
    ),
    "bad Effect": (
        lambda arn: json.dumps(
            {"Version": "2012-10-17", "Statement": [_statement(arn, Effect="Permit")]}
        ),
        "Effect",
    ),
    "no Principal": (
        lambda arn: json.dumps(
            {"Version": "2012-10-17", "Statement": [_statement(arn, Principal=None)]}
        ),
        "Principal",
    ),
    "service principal": (
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [_statement(arn, Principal={"Service": "acm.amazonaws.com"})],
            }
        ),
        "Principal",
    ),
}


@pytest.fixture(scope="module")
def shared_root(tmp_path_factory):
    """One sandbox and root CA for the read-only-after-failure cases."""
    session = pcanb.sandbox(tmp_path_factory.mktemp("policies") / "sandbox")
    yield session.client, session.create_root_ca(common_name="Policy Root")
    session.sandbox.close()


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_policies(shared_root, case):
    client, root = shared_root
    make, words = INVALID[case]
    good = json.dumps(documented_policy(root.arn))
    client.put_policy(ResourceArn=root.arn, Policy=good)
    with pytest.raises(ClientError) as excinfo:
        client.put_policy(ResourceArn=root.arn, Policy=make(root.arn))
    assert error_code(excinfo) == "InvalidPolicyException"
    message = excinfo.value.response["Error"]["Message"]
    assert message.startswith("The resource policy is invalid: ")
    assert words in message
    assert stored_policy(client, root.arn) == good  # the refused policy replaced nothing


def test_second_statement_is_checked_too(client, root):
    document = documented_policy(root.arn)
    document["Statement"][1]["Action"] = ["acm-pca:DeleteCertificateAuthority"]
    with pytest.raises(ClientError) as excinfo:
        client.put_policy(ResourceArn=root.arn, Policy=json.dumps(document))
    assert error_code(excinfo) == "InvalidPolicyException"
    assert "statement 2" in excinfo.value.response["Error"]["Message"]
    assert stored_policy(client, root.arn) is None


def test_policy_states(pca, client):
    # PENDING_CERTIFICATE accepts a policy; CREATING and DELETED do not.
    arn = client.create_certificate_authority(
        CertificateAuthorityConfiguration=EC_CA, CertificateAuthorityType="ROOT"
    )["CertificateAuthorityArn"]
    client.put_policy(ResourceArn=arn, Policy=json.dumps(documented_policy(arn)))
    assert stored_policy(client, arn) is not None
    client.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=7)
    for call in (
        lambda: client.put_policy(ResourceArn=arn, Policy=json.dumps(documented_policy(arn))),
        lambda: client.get_policy(ResourceArn=arn),
        lambda: client.delete_policy(ResourceArn=arn),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "InvalidStateException"
    client.restore_certificate_authority(CertificateAuthorityArn=arn)
    assert stored_policy(client, arn) is not None  # the refused delete kept it

    pca.sandbox.configure(creation_delay=60)
    creating = client.create_certificate_authority(
        CertificateAuthorityConfiguration=EC_CA, CertificateAuthorityType="ROOT"
    )["CertificateAuthorityArn"]
    with pytest.raises(ClientError) as excinfo:
        client.put_policy(ResourceArn=creating, Policy=json.dumps(documented_policy(creating)))
    assert error_code(excinfo) == "InvalidStateException"
    pca.sandbox.advance(minutes=2)
    assert stored_policy(client, creating) is None


def test_unknown_and_malformed_arns(client, root):
    with pytest.raises(ClientError) as excinfo:
        client.get_policy(ResourceArn=root.arn[:-12] + "000000000000")
    assert error_code(excinfo) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        client.put_policy(ResourceArn=root.arn.rsplit("/", 1)[0] + "/not-a-uuid", Policy="{}")
    assert error_code(excinfo) == "InvalidArnException"
    with pytest.raises(ClientError) as excinfo:  # not an acm-pca ARN: the model's pattern
        client.put_policy(ResourceArn="arn:aws:s3:::bucket", Policy="{}")
    assert error_code(excinfo) == "ValidationException"


# -- toolkit -------------------------------------------------------------------------------------


def test_toolkit_get_policy(pca, root):
    document = documented_policy(root.arn)
    pca.put_policy(root, document)
    policy = pca.get_policy(root)
    assert isinstance(policy, Policy)
    assert policy.document == document
    assert json.loads(policy.json) == document
    assert policy.arn == root.arn
    frame = policy.statements
    assert list(frame.columns) == [
        "sid", "effect", "principal", "actions", "resource", "condition",
    ]  # fmt: skip
    assert len(frame) == 2
    assert list(frame["sid"]) == ["1", "1"]
    assert list(frame["effect"]) == ["Allow", "Allow"]
    assert json.loads(frame.loc[0, "principal"]) == {"AWS": ACCOUNT}
    assert frame.loc[0, "actions"] == ", ".join(READ_ACTIONS)
    assert frame.loc[1, "actions"] == "acm-pca:IssueCertificate"
    assert list(frame["resource"]) == [root.arn, root.arn]
    assert pd.isna(frame.loc[0, "condition"])
    assert json.loads(frame.loc[1, "condition"]) == {
        "StringEquals": {"acm-pca:TemplateArn": END_ENTITY}
    }
    assert "2 statements" in repr(policy)


def test_toolkit_policy_round_trip_and_text(pca, root):
    text = json.dumps(organization_policy(root.arn), indent=2)
    pca.put_policy(root, text)
    policy = pca.get_policy(root)
    assert policy.json == text
    assert policy.statements.loc[0, "principal"] == "*"
    pca.put_policy(root, policy)  # a Policy object goes back as it came
    assert pca.get_policy(root) == policy
    pca.delete_policy(root)
    with pytest.raises(pca.client.exceptions.ResourceNotFoundException):
        pca.get_policy(root)
