"""A bare ``import pcanb`` stays light: the heavy parts load when first used."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

#: Packages a bare ``import pcanb`` must not pull in.
HEAVY = (
    "boto3",
    "botocore",
    "pandas",
    "matplotlib",
    "ipywidgets",
    "IPython",
    "tqdm",
    "pcanb.ui",
    "pcanb.aws",
    "pcanb.sandbox",
    "pcanb.tables",
)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _loaded(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _heavy(modules: list[str], allowed: tuple[str, ...] = ()) -> list[str]:
    return [
        m
        for m in modules
        if any(m == h or m.startswith(h + ".") for h in HEAVY)
        and not any(m == a or m.startswith(a + ".") for a in allowed)
    ]


def _cumulative_us(importtime: str, module: str) -> int:
    """The cumulative import time of ``module`` from ``-X importtime`` output (microseconds)."""
    for line in importtime.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise AssertionError(f"{module} not in the importtime output")


def test_bare_import_loads_nothing_heavy():
    result = _run(
        """
        import json, sys
        import pcanb
        print(json.dumps(sorted(sys.modules)))
        """
    )
    modules = _loaded(result)
    assert "pcanb" in modules and "pcanb.errors" in modules
    assert _heavy(modules) == []
    # generous bound: a bare import takes milliseconds; boto3 + pandas alone take far longer
    assert _cumulative_us(result.stderr, "pcanb") < 500_000


@pytest.mark.parametrize(
    "expression",
    [
        "pcanb.sandbox, pcanb.connect",  # the entry points themselves, not yet called
        "pcanb.PcanbError, pcanb.WrongStateError, pcanb.DecodeError",
        "pcanb.Certificate, pcanb.Csr, pcanb.CertificateChain",
    ],
)
def test_names_resolve_without_loading_the_heavy_parts(expression):
    modules = _loaded(
        _run(
            f"""
            import json, sys
            import pcanb
            {expression}
            print(json.dumps(sorted(sys.modules)))
            """
        )
    )
    assert _heavy(modules) == []


def test_the_session_class_loads_the_toolkit_but_no_ui_or_sandbox():
    modules = _loaded(
        _run(
            """
            import json, sys
            import pcanb
            pcanb.Pca
            print(json.dumps(sorted(sys.modules)))
            """
        )
    )
    assert "pcanb.aws.session" in modules
    assert _heavy(modules, allowed=("pandas", "pcanb.aws", "pcanb.tables")) == []
