"""TagCertificateAuthority, UntagCertificateAuthority and ListTags."""

from __future__ import annotations

import uuid

import pytest
from test_lifecycle_support import (  # noqa: F401 (fixtures)
    activate_root,
    create_ca,
    fails_unchanged,
    fresh_pca,
    lifecycle_session,
)


def _tags(client, arn: str) -> list[dict]:
    out = []
    for page in client.get_paginator("list_tags").paginate(CertificateAuthorityArn=arn):
        out.extend(page["Tags"])
    return out


def _tag(client, arn: str, *tags: dict) -> None:
    client.tag_certificate_authority(CertificateAuthorityArn=arn, Tags=list(tags))


def _untag(client, arn: str, *tags: dict) -> None:
    client.untag_certificate_authority(CertificateAuthorityArn=arn, Tags=list(tags))


@pytest.fixture
def ca(client) -> str:
    return create_ca(client, Tags=[{"Key": "team", "Value": "pki"}, {"Key": "env", "Value": "dev"}])


def test_tagging_merges_and_overwrites(client, ca):
    _tag(client, ca, {"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "alice"})
    assert _tags(client, ca) == [
        {"Key": "team", "Value": "pki"},
        {"Key": "env", "Value": "prod"},
        {"Key": "owner", "Value": "alice"},
    ]
    _tag(client, ca, {"Key": "owner", "Value": ""}, {"Key": "flag"})
    assert _tags(client, ca)[2:] == [{"Key": "owner", "Value": ""}, {"Key": "flag"}]


def test_untag_by_key_removes_whatever_the_value(client, ca):
    _untag(client, ca, {"Key": "team"})
    assert _tags(client, ca) == [{"Key": "env", "Value": "dev"}]


def test_untag_by_key_and_value_removes_only_on_a_match(client, ca):
    _untag(client, ca, {"Key": "team", "Value": "other"}, {"Key": "env", "Value": "dev"})
    assert _tags(client, ca) == [{"Key": "team", "Value": "pki"}]


def test_untag_of_missing_keys_is_silent(client, ca):
    _untag(client, ca, {"Key": "nope"}, {"Key": "also-not", "Value": "x"})
    assert len(_tags(client, ca)) == 2


def test_more_than_50_tags_after_the_merge_is_too_many_tags(client, ca):
    _tag(client, ca, *[{"Key": f"k{i}", "Value": "v"} for i in range(47)])  # 49 now
    # Overwriting existing keys does not count twice: 49 + 1 new = 50 is fine.
    _tag(client, ca, {"Key": "team", "Value": "new"}, {"Key": "k0", "Value": "w"}, {"Key": "k47"})
    assert len(_tags(client, ca)) == 50
    with fails_unchanged(client, "TooManyTagsException", "50", "51"):
        _tag(client, ca, {"Key": "env", "Value": "changed"}, {"Key": "one-more", "Value": "v"})
    # The whole request was refused: the overwrite in it did not happen either.
    assert {"Key": "env", "Value": "dev"} in _tags(client, ca)


@pytest.mark.parametrize("key", ["aws:createdBy", "AWS:Thing"])
def test_reserved_aws_key_is_invalid_tag(client, ca, key):
    with fails_unchanged(client, "InvalidTagException", key, "reserved"):
        _tag(client, ca, {"Key": "fine", "Value": "v"}, {"Key": key, "Value": "v"})
    with fails_unchanged(client, "InvalidTagException", key):
        _untag(client, ca, {"Key": "team"}, {"Key": key})


def test_repeated_key_in_one_request_is_invalid_tag(client, ca):
    with fails_unchanged(client, "InvalidTagException", "more than once"):
        _tag(client, ca, {"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"})


@pytest.mark.parametrize(
    ("tag", "field"),
    [
        ({"Key": "k" * 129, "Value": "v"}, "key"),
        ({"Key": "bad!key", "Value": "v"}, "key"),
        ({"Key": "k", "Value": "v" * 257}, "value"),
    ],
)
def test_tags_breaking_the_model_are_validation_exceptions(client, ca, tag, field):
    with fails_unchanged(client, "ValidationException", f"tags.1.member.{field}"):
        _tag(client, ca, tag)


def test_more_than_50_tags_in_one_request_is_a_validation_exception(client, ca):
    """The message quotes the list as AWS's front end prints it (Java's toString), cut short."""
    with fails_unchanged(client, "ValidationException", "tags", "50") as excinfo:
        _tag(client, ca, *[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    message = excinfo.value.response["Error"]["Message"]
    assert message.startswith(
        "1 validation error detected: Value '[{Key=k0, Value=v}, {Key=k1, Value=v}, "
    ), message
    assert "...' at 'tags' failed to satisfy constraint: Member must have length less than or " \
        "equal to 50" in message  # fmt: skip
    assert "the given value" not in message and "k50" not in message


def test_tags_given_as_an_object_quote_the_object(pca, client, ca):
    """botocore cannot send this; other clients can (sent here as raw AWS JSON)."""
    import json

    from conftest import SIGNED

    before = _tags(client, ca)
    headers = {
        "X-Amz-Target": "ACMPrivateCA.TagCertificateAuthority",
        "Content-Type": "application/x-amz-json-1.1",
        **SIGNED,
    }
    body = json.dumps({"CertificateAuthorityArn": ca, "Tags": {"team": "pki", "n": 1}})
    status, _, payload = pca.sandbox.handle(
        "POST", "https://acm-pca.us-east-1.amazonaws.com/", headers, body.encode()
    )
    assert status == 400
    assert json.loads(payload) == {
        "__type": "ValidationException",
        "message": "1 validation error detected: Value '{team=pki, n=1}' at 'tags' failed to "
        "satisfy constraint: Member must be a list",
    }
    assert _tags(client, ca) == before


def test_list_tags_pages_by_hand_and_with_the_paginator(client):
    tags = [{"Key": f"k{i}", "Value": str(i)} for i in range(5)]
    arn = create_ca(client, Tags=tags)
    seen, token, sizes = [], None, []
    while True:
        kwargs = {"MaxResults": 2, **({"NextToken": token} if token else {})}
        page = client.list_tags(CertificateAuthorityArn=arn, **kwargs)
        sizes.append(len(page["Tags"]))
        seen.extend(page["Tags"])
        token = page.get("NextToken")
        if token is None:
            break
    assert sizes == [2, 2, 1]
    assert seen == tags
    paginator = client.get_paginator("list_tags")
    pages = list(paginator.paginate(CertificateAuthorityArn=arn, PaginationConfig={"PageSize": 5}))
    assert len(pages) == 1
    assert pages[0]["Tags"] == tags
    assert "NextToken" not in pages[0]
    assert client.list_tags(CertificateAuthorityArn=arn, MaxResults=1000)["Tags"] == tags


def test_list_tags_with_a_bad_token_is_a_validation_error(client, ca):
    # The model lists no InvalidNextTokenException for ListTags (only for the other two list
    # actions), so a bad token is refused as the front end refuses bad input [inferred].
    with fails_unchanged(client, "ValidationException", "NextToken"):
        client.list_tags(CertificateAuthorityArn=ca, NextToken="garbage")
    create_ca(client)
    ca_token = client.list_certificate_authorities(MaxResults=1)["NextToken"]
    with fails_unchanged(client, "ValidationException"):
        client.list_tags(CertificateAuthorityArn=ca, NextToken=ca_token)


def test_a_ca_without_tags_lists_none(client):
    arn = create_ca(client)
    assert client.list_tags(CertificateAuthorityArn=arn)["Tags"] == []


def test_tags_work_in_every_live_status(pca, client):
    pca.sandbox.configure(creation_delay=30)
    arn = create_ca(client)
    _tag(client, arn, {"Key": "phase", "Value": "creating"})
    pca.sandbox.advance(seconds=30)
    _tag(client, arn, {"Key": "phase", "Value": "pending"})
    activate_root(client, arn, days=5)
    _tag(client, arn, {"Key": "phase", "Value": "active"})
    client.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")
    _untag(client, arn, {"Key": "phase", "Value": "active"})
    _tag(client, arn, {"Key": "phase", "Value": "disabled"})
    pca.sandbox.advance(days=6)
    _tag(client, arn, {"Key": "phase", "Value": "expired"})
    assert _tags(client, arn) == [{"Key": "phase", "Value": "expired"}]


def test_tags_of_a_deleted_ca(client, ca):
    """pca-behavior 1.3 marks ListTags OK on a DELETED CA and Tag/Untag as InvalidState (inferred,
    low confidence): the tags are listed, kept for a restore, and cannot be changed meanwhile."""
    client.delete_certificate_authority(CertificateAuthorityArn=ca)
    assert _tags(client, ca) == [{"Key": "team", "Value": "pki"}, {"Key": "env", "Value": "dev"}]
    with fails_unchanged(client, "InvalidStateException", "DELETED"):
        _tag(client, ca, {"Key": "more", "Value": "x"})
    with fails_unchanged(client, "InvalidStateException", "DELETED"):
        _untag(client, ca, {"Key": "team"})
    client.restore_certificate_authority(CertificateAuthorityArn=ca)
    _tag(client, ca, {"Key": "more", "Value": "x"})
    assert len(_tags(client, ca)) == 3


def test_tag_actions_on_unknown_and_malformed_arns(client, ca):
    unknown = f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/{uuid.uuid4()}"
    malformed = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/xyz"
    for arn, code in ((unknown, "ResourceNotFoundException"), (malformed, "InvalidArnException")):
        with fails_unchanged(client, code, arn):
            _tag(client, arn, {"Key": "k"})
        with fails_unchanged(client, code, arn):
            _untag(client, arn, {"Key": "k"})
        with fails_unchanged(client, code, arn):
            client.list_tags(CertificateAuthorityArn=arn)
