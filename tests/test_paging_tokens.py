"""NextToken values: only a token the sandbox gave, for that list, is accepted.

ListCertificateAuthorities and ListPermissions refuse any other with InvalidNextTokenException
(as AWS does for a token it did not issue); ListTags, whose model lists no such error, with
ValidationException [inferred]. Real tokens keep working from another process on the same
sandbox directory and after the sandbox is reopened.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest
from conftest import error_of

import pcanb

ACM = "acm.amazonaws.com"
ALL_ACTIONS = ["IssueCertificate", "GetCertificate", "ListPermissions"]


def _plant_permissions(pca, ca_arn: str, count: int) -> None:
    """Extra grant rows (AWS has one valid principal; distinct source accounts tell them apart)."""
    with pca.sandbox.store.write() as db:
        for number in range(count):
            db.execute(
                "INSERT INTO permissions (ca_arn, principal, source_account, actions, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (ca_arn, ACM, f"{number + 1:012d}", json.dumps(ALL_ACTIONS), 1.7e9 + number),
            )


@pytest.fixture
def lists(pca, root):
    """Three CAs (root included), three tags and three grants on the root: every list action
    has a second page at MaxResults=1."""
    for name in ("Second Root", "Third Root"):
        pca.create_root_ca(common_name=name)
    pca.client.tag_certificate_authority(
        CertificateAuthorityArn=root.arn, Tags=[{"Key": k, "Value": "v"} for k in "abc"]
    )
    _plant_permissions(pca, root.arn, 3)
    return root.arn


def _calls(client, ca_arn: str) -> dict:
    """Each list action, called with keyword arguments; the code a bad token must answer."""
    return {
        "ListCertificateAuthorities": (
            lambda **kw: client.list_certificate_authorities(**kw),
            "CertificateAuthorities",
            "InvalidNextTokenException",
        ),
        "ListPermissions": (
            lambda **kw: client.list_permissions(CertificateAuthorityArn=ca_arn, **kw),
            "Permissions",
            "InvalidNextTokenException",
        ),
        "ListTags": (
            lambda **kw: client.list_tags(CertificateAuthorityArn=ca_arn, **kw),
            "Tags",
            "ValidationException",
        ),
    }


def _old_style(operation: str, after: int) -> str:
    """A token in the readable form the sandbox used to give (base64 JSON), made up."""
    raw = json.dumps({"op": operation, "after": after}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _flip(token: str, index: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    swapped = alphabet[(alphabet.index(token[index]) + 1) % len(alphabet)]
    return token[:index] + swapped + token[index + 1 :]


OPERATIONS = ["ListCertificateAuthorities", "ListPermissions", "ListTags"]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_tokens_that_were_not_given_are_refused(pca, lists, operation):
    call, key, code = _calls(pca.client, lists)[operation]
    token = call(MaxResults=1)["NextToken"]
    assert "after" not in base64.urlsafe_b64decode(token + "==").decode(errors="replace")
    forged = {
        "before the first row": _old_style(operation, -1),
        "past the last row": _old_style(operation, 100000),
        "one character changed (first)": _flip(token, 0),
        "one character changed (middle)": _flip(token, len(token) // 2),
        "one character changed (last)": _flip(token, -1),
        "cut short": token[:-4],
        "one character": token[:1],
        "doubled": token + token,
        "padded": token + "==",
    }
    for what, bad in forged.items():
        answer = error_of(lambda bad=bad: call(NextToken=bad))
        assert answer["Error"]["Code"] == code, what
        assert "NextToken is not valid" in answer["Error"]["Message"], what
    assert len(call(NextToken=token, MaxResults=1)[key]) == 1  # the real token still works


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_token_from_another_list_is_refused(pca, lists, operation):
    calls = _calls(pca.client, lists)
    call, _, code = calls[operation]
    for other in OPERATIONS:
        if other == operation:
            continue
        token = calls[other][0](MaxResults=1)["NextToken"]
        assert error_of(lambda token=token: call(NextToken=token))["Error"]["Code"] == code


@pytest.mark.parametrize("operation", ["ListPermissions", "ListTags"])
def test_a_token_for_another_ca_is_refused(pca, lists, operation):
    other = pca.create_root_ca(common_name="Other Root")
    pca.client.tag_certificate_authority(
        CertificateAuthorityArn=other.arn, Tags=[{"Key": k} for k in "xyz"]
    )
    _plant_permissions(pca, other.arn, 3)
    call, _, code = _calls(pca.client, lists)[operation]
    token = _calls(pca.client, other.arn)[operation][0](MaxResults=1)["NextToken"]
    assert error_of(lambda: call(NextToken=token))["Error"]["Code"] == code


def test_a_token_from_another_sandbox_is_refused(pca, lists, tmp_path):
    elsewhere = pcanb.sandbox(tmp_path / "elsewhere")
    try:
        for name in ("A", "B"):
            elsewhere.create_root_ca(common_name=name)
        token = elsewhere.client.list_certificate_authorities(MaxResults=1)["NextToken"]
    finally:
        elsewhere.sandbox.close()
    answer = error_of(lambda: pca.client.list_certificate_authorities(NextToken=token))
    assert answer["Error"]["Code"] == "InvalidNextTokenException"


def _walk(call, key: str, token: str | None = None) -> list:
    items = []
    while True:
        page = call(MaxResults=1, **({"NextToken": token} if token else {}))
        items += page[key]
        token = page.get("NextToken")
        if not token:
            return items


_CHILD = """
import json, sys
import pcanb

pca = pcanb.sandbox(sys.argv[1])
ca_arn = sys.argv[2]
client = pca.client
print(json.dumps({
    "ListCertificateAuthorities": client.list_certificate_authorities(MaxResults=1)["NextToken"],
    "ListPermissions": client.list_permissions(CertificateAuthorityArn=ca_arn, MaxResults=1)[
        "NextToken"
    ],
    "ListTags": client.list_tags(CertificateAuthorityArn=ca_arn, MaxResults=1)["NextToken"],
}))
pca.sandbox.close()
"""


def test_tokens_from_another_process_and_after_a_restart_still_work(pca, lists, tmp_path):
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    child = subprocess.run(
        [sys.executable, "-W", "error", str(script), str(pca.sandbox.path), lists],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    tokens = json.loads(child.stdout)
    expected = {
        operation: _walk(call, key)
        for operation, (call, key, _) in _calls(pca.client, lists).items()
    }
    for operation, (call, key, _) in _calls(pca.client, lists).items():
        first = call(MaxResults=1)[key]
        assert first + _walk(call, key, tokens[operation]) == expected[operation], operation

    # The same tokens after the sandbox is closed and opened again.
    path = pca.sandbox.path
    pca.sandbox.close()
    reopened = pcanb.sandbox(path)
    try:
        for operation, (call, key, _) in _calls(reopened.client, lists).items():
            first = call(MaxResults=1)[key]
            assert first + _walk(call, key, tokens[operation]) == expected[operation], operation
    finally:
        reopened.sandbox.close()


def test_a_sandbox_without_a_secret_opened_read_only_still_pages(pca, lists):
    """A sandbox last written by a pcanb without signed tokens has no secret, and a read-only
    session cannot store one: its tokens are good for that process."""
    import sqlite3

    path = pca.sandbox.path
    expected = _walk(pca.client.list_certificate_authorities, "CertificateAuthorities")
    pca.sandbox.close()
    with sqlite3.connect(pca.sandbox.store.path) as db:
        db.execute("DELETE FROM meta WHERE key = 'paging_secret'")
    db.close()
    reader = pcanb.sandbox(path, read_only=True)
    try:
        call = reader.client.list_certificate_authorities
        assert _walk(call, "CertificateAuthorities") == expected
        forged = _old_style("ListCertificateAuthorities", 1)
        answer = error_of(lambda: call(NextToken=forged))
        assert answer["Error"]["Code"] == "InvalidNextTokenException"
    finally:
        reader.sandbox.close()
