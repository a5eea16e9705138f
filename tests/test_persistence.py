"""A sandbox keeps its state on disk: across close/reopen, and between processes sharing it."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import pcanb


def test_state_survives_close_and_reopen(tmp_path):
    path = tmp_path / "box"
    pca = pcanb.sandbox(path)
    root = pca.create_root_ca(common_name="Durable Root", tags={"team": "pki"})
    sub = pca.create_subordinate_ca(parent=root, common_name="Durable Issuing CA")
    leaf = pca.issue(sub, common_name="durable.example.internal", days=30)
    pca.update_certificate_authority(sub, status="DISABLED")
    pca.sandbox.advance(days=3, hours=2)
    before = pca.list_certificate_authorities()
    pca.sandbox.close()

    again = pcanb.sandbox(path)
    try:
        assert again.sandbox.path == path
        after = again.list_certificate_authorities()
        stable = ["arn", "status", "common_name", "not_after", "created_at", "serial"]
        assert after[stable].equals(before[stable])
        assert again.describe_certificate_authority(sub).loc[0, "status"] == "DISABLED"

        fetched = again.get_certificate(leaf.arn)
        assert fetched.der == leaf.der
        assert [c.common_name for c in fetched.chain] == ["Durable Issuing CA", "Durable Root"]
        chain = again.get_certificate_authority_certificate(sub)
        assert [c.der for c in chain] == [sub.certificate.der, root.certificate.der]
        tags = again.list_tags(root)
        assert dict(zip(tags["key"], tags["value"], strict=True)) == {"team": "pki"}

        # the clock offset is part of the state
        offset = again.sandbox.now() - datetime.now(UTC)
        assert abs(offset - timedelta(days=3, hours=2)) < timedelta(minutes=1)
        assert again.now() == pytest.approx(again.sandbox.now(), abs=timedelta(seconds=5))

        # and the reopened sandbox keeps working
        again.update_certificate_authority(sub, status="ACTIVE")
        second = again.issue(sub, common_name="after-reopen.example.internal", days=1)
        assert second.serial != leaf.serial
        assert second.not_before > leaf.not_before + timedelta(days=3)
    finally:
        again.sandbox.close()


_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path

    import pcanb

    path, ca, count, label, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    pca = pcanb.sandbox(path)
    pca.client  # build the client before the start signal, so both start issuing at once
    Path(go + "." + label).touch()  # ready
    deadline = time.monotonic() + 60
    while not Path(go).exists():  # start issuing together with the other process
        if time.monotonic() > deadline:
            sys.exit("never told to start")
        time.sleep(0.01)
    for i in range(count):
        leaf = pca.issue(ca, common_name=f"{label}-{i}.example.internal", days=1)
        print(leaf.arn, flush=True)
    pca.sandbox.close()
    """
)


def test_two_processes_issue_into_one_sandbox(tmp_path):
    path = tmp_path / "shared"
    count = 40
    pca = pcanb.sandbox(path)
    try:
        root = pca.create_root_ca(common_name="Shared Root")
        issuing = pca.create_subordinate_ca(parent=root, common_name="Shared Issuing CA")
        script = tmp_path / "child.py"
        script.write_text(_CHILD)
        go = tmp_path / "go"
        children = {
            label: subprocess.Popen(
                [
                    sys.executable,
                    "-W",
                    "error",
                    str(script),
                    str(path),
                    issuing.arn,
                    str(count),
                    label,
                    str(go),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for label in ("a", "b")
        }
        deadline = time.monotonic() + 60
        while not all(Path(f"{go}.{label}").exists() for label in children):
            assert time.monotonic() < deadline, "the children never became ready"
            time.sleep(0.01)
        go.touch()
        printed: dict[str, list[str]] = {}
        for label, child in children.items():
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            printed[label] = out.split()

        assert [len(arns) for arns in printed.values()] == [count, count]
        every = printed["a"] + printed["b"]
        assert len(set(every)) == 2 * count

        with sqlite3.connect(pca.sandbox.store.path) as db:
            total, serials = db.execute(
                "SELECT count(*), count(DISTINCT serial) FROM certificates WHERE ca_arn = ?",
                (issuing.arn,),
            ).fetchone()
            order = [
                row[0]
                for row in db.execute(
                    "SELECT subject FROM certificates WHERE ca_arn = ? ORDER BY seq", (issuing.arn,)
                )
            ]
        assert (total, serials) == (2 * count, 2 * count)
        # the two processes really ran side by side: their certificates interleave in the store
        labels = ["a" if "CN=a-" in subject else "b" for subject in order]
        assert sum(1 for x, y in itertools.pairwise(labels) if x != y) > 1

        fetched = [pca.get_certificate(issuing, arn) for arn in every]
        assert len({c.serial for c in fetched}) == 2 * count
        names = {c.common_name for c in fetched}
        expected = {f"{label}-{i}.example.internal" for label in "ab" for i in range(count)}
        assert names == expected
    finally:
        pca.sandbox.close()


def test_memory_sandbox_leaves_nothing_behind():
    pca = pcanb.sandbox(":memory:")
    where = Path(pca.sandbox.path)
    root = pca.create_root_ca(common_name="Throwaway Root")
    pca.issue(root, common_name="throwaway.example.internal", days=1)
    assert (where / "sandbox.sqlite3").exists()
    pca.sandbox.close()
    assert not where.exists()

    other = pcanb.sandbox(":memory:")
    try:
        assert Path(other.sandbox.path) != where
        assert other.list_certificate_authorities().empty  # a fresh one each time
    finally:
        other.sandbox.close()


def test_pcanb_sandbox_env_var_selects_the_directory(tmp_path, monkeypatch):
    # keep the real user data directory out of reach whatever happens
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    chosen = tmp_path / "from-env"
    monkeypatch.setenv("PCANB_SANDBOX", str(chosen))

    pca = pcanb.sandbox()
    try:
        assert Path(pca.sandbox.path) == chosen
        root = pca.create_root_ca(common_name="Env Root")
        assert (chosen / "sandbox.sqlite3").exists()
    finally:
        pca.sandbox.close()
    assert not (tmp_path / "home").exists()

    again = pcanb.sandbox()
    try:
        assert list(again.list_certificate_authorities()["arn"]) == [root.arn]
    finally:
        again.sandbox.close()

    elsewhere = tmp_path / "explicit"
    explicit = pcanb.sandbox(elsewhere)  # an explicit path wins over the variable
    try:
        assert Path(explicit.sandbox.path) == elsewhere
        assert explicit.list_certificate_authorities().empty
    finally:
        explicit.sandbox.close()
