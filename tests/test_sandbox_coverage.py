"""The coverage table follows the botocore model: every operation emulated, every parameter listed."""

from __future__ import annotations

import botocore.session

from pcanb.sandbox.coverage import NOTES, rows, table
from pcanb.sandbox.engine import ACTIONS
from pcanb.vocab import OPERATIONS


def test_every_model_operation_is_emulated():
    model = botocore.session.get_session().get_service_model("acm-pca")
    assert set(model.operation_names) == set(OPERATIONS) == set(ACTIONS)
    statuses = {op: status for op, _, status, _ in rows()}
    assert set(statuses.values()) == {"emulated"}


def test_every_parameter_of_the_model_is_in_the_table():
    model = botocore.session.get_session().get_service_model("acm-pca")
    listed = {(op, member) for op, member, _, _ in rows()}
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        for member in shape.members if shape is not None else ():
            assert (name, member) in listed


def test_notes_name_real_parameters():
    listed = {(op, member) for op, member, _, _ in rows()}
    assert set(NOTES) <= listed


def test_table_mentions_gaps():
    text = table()
    assert "throttle_scale" in text
    assert "IssueCertificate" in text
