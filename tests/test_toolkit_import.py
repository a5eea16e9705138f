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


# -- notebook features without a session -----------------------------------------------------------


def test_a_frame_read_without_a_session_has_the_pca_accessor():
    seen = json.loads(
        _run(
            """
            import json, sys
            import pcanb
            report = pcanb.read_audit_report(b"[]", format="JSON")
            print(json.dumps({"accessor": type(report.pca).__name__,
                              "expiring": len(report.pca.expiring(30)),
                              "matplotlib": "matplotlib" in sys.modules}))
            """
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert seen == {"accessor": "PcaAccessor", "expiring": 0, "matplotlib": False}


@pytest.mark.parametrize(
    "statement",
    [
        "import pcanb.charts; chart = pcanb.charts.expiry",
        "from pcanb.charts import expiry as chart",
    ],
)
def test_pcanb_charts_imports_as_a_module_without_matplotlib(statement):
    modules = _loaded(
        _run(
            f"""
            import json, sys
            {statement}
            import pandas as pd
            assert callable(chart)
            assert hasattr(pd.DataFrame, "pca")
            print(json.dumps(sorted(sys.modules)))
            """
        )
    )
    assert "pcanb.charts" in modules
    assert "matplotlib" not in modules


def test_pcanb_charts_is_the_same_module_by_attribute_and_by_import():
    result = _run(
        """
        import json
        import pcanb
        by_attribute = pcanb.charts
        import pcanb.charts
        from pcanb.ui import charts
        print(json.dumps([by_attribute is pcanb.charts, pcanb.charts.expiry is charts.expiry]))
        """
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, True], result.stderr[-2000:]


def test_certificates_show_their_card_in_ipython_without_a_session():
    result = _run(
        """
        import datetime, json
        from IPython.core.interactiveshell import InteractiveShell
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        shell = InteractiveShell.instance()
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "card.example.com")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        pem = cert.public_bytes(serialization.Encoding.PEM).decode()

        import pcanb
        data, _ = shell.display_formatter.format(pcanb.Certificate.from_pem(pem))
        print(json.dumps({"html": "card.example.com" in data.get("text/html", "")}))
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"html": True}
