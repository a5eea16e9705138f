"""Random sequences of lifecycle calls through boto3, checked against the state machine AWS
documents (pca-behavior §1.2–1.4): activate, disable, enable, delete, restore, issue, revoke and
time passing, in any order, on several CAs at once.

After every step each CA's DescribeCertificateAuthority status is the model's, ListCertificate
Authorities lists exactly the CAs that still exist, and every refused call carried the code the
action × status matrix gives (never InternalFailure). A failed call changes nothing: the next
describe would show it.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from conftest import ec_csr_pem
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

import pcanb

ROOT_TEMPLATE = "arn:aws:acm-pca:::template/RootCACertificate/V1"
SIGNING = "SHA256WITHECDSA"
RESTORE_DAYS = 7


def _code(call) -> str | None:
    """The AWS error code of ``call()``, or ``None`` when it succeeds."""
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return None


class Lifecycle(RuleBasedStateMachine):
    """The model: for each CA ARN, its status and (while DELETED) what a restore brings back
    and until when; issued leaf certificates and whether they are revoked."""

    cas = Bundle("cas")
    leaves = Bundle("leaves")

    @initialize()
    def open_sandbox(self) -> None:
        self.pca = pcanb.sandbox(":memory:")
        self.client = self.pca.client
        self.status: dict[str, str] = {}
        self.before_delete: dict[str, str] = {}
        self.restorable_until: dict[str, float] = {}
        self.revoked: dict[str, bool] = {}
        self.days = 0.0

    def teardown(self) -> None:
        self.pca.sandbox.close()

    # -- the model's expectations ------------------------------------------------------------

    def _expect(self, call, allowed: set[str], refused: dict[str, str], arn: str) -> bool:
        """Run ``call``; it must succeed when the CA's status is in ``allowed`` and fail with
        ``refused[status]`` otherwise (``ResourceNotFoundException`` once the CA is gone)."""
        status = self.status[arn]
        code = _code(call)
        if status == "GONE":
            assert code == "ResourceNotFoundException", (arn, code)
            return False
        if status in allowed:
            assert code is None, (status, code)
            return True
        assert code == refused[status], (status, code)
        return False

    # -- rules ---------------------------------------------------------------------------------

    @rule(target=cas)
    def create(self) -> str:
        arn = self.client.create_certificate_authority(
            CertificateAuthorityType="ROOT",
            CertificateAuthorityConfiguration={
                "KeyAlgorithm": "EC_prime256v1",
                "SigningAlgorithm": SIGNING,
                "Subject": {"CommonName": f"Stateful Root {len(self.status)}"},
            },
        )["CertificateAuthorityArn"]
        self.status[arn] = "PENDING_CERTIFICATE"
        return arn

    @rule(arn=cas)
    def activate(self, arn: str) -> None:
        """Sign the CA's own CSR with RootCACertificate/V1 and import it."""
        status = self.status[arn]
        csr_code = _code(
            lambda: self.client.get_certificate_authority_csr(CertificateAuthorityArn=arn)
        )
        if status == "GONE":
            assert csr_code == "ResourceNotFoundException"
            return
        if status == "DELETED":
            assert csr_code == "InvalidStateException"
            return
        assert csr_code is None
        csr = self.client.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
        issued = _code(
            lambda: self.client.issue_certificate(
                CertificateAuthorityArn=arn, Csr=csr.encode(), SigningAlgorithm=SIGNING,
                TemplateArn=ROOT_TEMPLATE, Validity={"Type": "YEARS", "Value": 10},
            )
        )  # fmt: skip
        if status == "DISABLED":  # a root template still needs ACTIVE/PENDING/EXPIRED
            assert issued == "InvalidStateException"
            return
        assert issued is None
        certificate_arn = self.client.issue_certificate(
            CertificateAuthorityArn=arn, Csr=csr.encode(), SigningAlgorithm=SIGNING,
            TemplateArn=ROOT_TEMPLATE, Validity={"Type": "YEARS", "Value": 10},
        )["CertificateArn"]  # fmt: skip
        pem = self.client.get_certificate(
            CertificateAuthorityArn=arn, CertificateArn=certificate_arn
        )
        self.client.import_certificate_authority_certificate(
            CertificateAuthorityArn=arn, Certificate=pem["Certificate"].encode()
        )
        self.status[arn] = "ACTIVE"  # PENDING_CERTIFICATE → ACTIVE; ACTIVE re-imports its own

    @rule(arn=cas, wanted=st.sampled_from(["ACTIVE", "DISABLED"]))
    def update_status(self, arn: str, wanted: str) -> None:
        refused = {s: "InvalidStateException" for s in ("PENDING_CERTIFICATE", "DELETED")}
        done = self._expect(
            lambda: self.client.update_certificate_authority(
                CertificateAuthorityArn=arn, Status=wanted
            ),
            {"ACTIVE", "DISABLED"},
            refused,
            arn,
        )
        if done:
            self.status[arn] = wanted

    @rule(arn=cas)
    def delete(self, arn: str) -> None:
        refused = {"ACTIVE": "InvalidStateException", "DELETED": "InvalidStateException"}
        status = self.status[arn]
        done = self._expect(
            lambda: self.client.delete_certificate_authority(
                CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=RESTORE_DAYS
            ),
            {"PENDING_CERTIFICATE", "DISABLED"},
            refused,
            arn,
        )
        if done:
            self.before_delete[arn] = status
            self.restorable_until[arn] = self.days + RESTORE_DAYS
            self.status[arn] = "DELETED"

    @rule(arn=cas)
    def restore(self, arn: str) -> None:
        refused = {
            s: "InvalidStateException" for s in ("PENDING_CERTIFICATE", "ACTIVE", "DISABLED")
        }
        done = self._expect(
            lambda: self.client.restore_certificate_authority(CertificateAuthorityArn=arn),
            {"DELETED"},
            refused,
            arn,
        )
        if done:  # never back to ACTIVE: the status it had when it was deleted
            self.status[arn] = self.before_delete.pop(arn)
            del self.restorable_until[arn]

    @rule(target=leaves, arn=cas)
    def issue(self, arn: str):
        refused = {
            s: "InvalidStateException" for s in ("PENDING_CERTIFICATE", "DISABLED", "DELETED")
        }
        answer: dict = {}

        def call() -> None:
            answer.update(
                self.client.issue_certificate(
                    CertificateAuthorityArn=arn, Csr=ec_csr_pem("leaf.example"),
                    SigningAlgorithm=SIGNING, Validity={"Type": "DAYS", "Value": 30},
                )
            )  # fmt: skip

        if not self._expect(call, {"ACTIVE"}, refused, arn):
            return multiple()
        self.revoked[answer["CertificateArn"]] = False
        return (arn, answer["CertificateArn"])

    @rule(leaf=leaves)
    def revoke(self, leaf: tuple[str, str]) -> None:
        arn, certificate_arn = leaf
        refused = {s: "InvalidStateException" for s in ("PENDING_CERTIFICATE", "DELETED")}
        if self.revoked[certificate_arn]:
            refused |= {"ACTIVE": "RequestAlreadyProcessedException"}
            refused |= {"DISABLED": "RequestAlreadyProcessedException"}
            allowed: set[str] = set()
        else:
            allowed = {"ACTIVE", "DISABLED"}
        done = self._expect(
            lambda: self.client.revoke_certificate(
                CertificateAuthorityArn=arn,
                CertificateSerial=certificate_arn.rsplit("/", 1)[1],
                RevocationReason="SUPERSEDED",
            ),
            allowed,
            refused,
            arn,
        )
        if done:
            self.revoked[certificate_arn] = True

    @rule(days=st.sampled_from([1, 3, 8]))
    def time_passes(self, days: int) -> None:
        self.pca.sandbox.advance(days=days)
        self.days += days
        for arn, until in list(self.restorable_until.items()):
            # sandbox time also runs on in real time, so at exactly `until` the window has closed
            if self.days >= until:  # the restoration window has closed: the CA is gone
                self.status[arn] = "GONE"
                del self.restorable_until[arn]
                self.before_delete.pop(arn, None)

    # -- invariants ----------------------------------------------------------------------------

    @invariant()
    def describe_matches_the_model(self) -> None:
        for arn, status in self.status.items():
            try:
                described = self.client.describe_certificate_authority(CertificateAuthorityArn=arn)
            except ClientError as error:
                assert status == "GONE", (arn, status, error.response["Error"]["Code"])
                assert error.response["Error"]["Code"] == "ResourceNotFoundException"
                continue
            authority = described["CertificateAuthority"]
            assert authority["Status"] == status, (arn, authority["Status"], status)
            assert ("RestorableUntil" in authority) == (status == "DELETED")

    @invariant()
    def list_shows_what_exists(self) -> None:
        listed = {
            ca["Arn"]: ca["Status"]
            for page in self.client.get_paginator("list_certificate_authorities").paginate()
            for ca in page["CertificateAuthorities"]
        }
        assert listed == {arn: s for arn, s in self.status.items() if s != "GONE"}


Lifecycle.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
class TestLifecycle(Lifecycle.TestCase):
    pass
