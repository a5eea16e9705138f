"""The ``.pca`` pandas accessor: charts and analyses as methods of pcanb's frames.

>>> report.pca.timeline(by="ca_id")          # pcanb.charts.audit_timeline(report, by="ca_id")
>>> pca.certificates().pca.expiry(now=pca.now())
>>> report.pca.expiring(30)                  # pcanb.analysis.expiry.expiring(report, 30)

Registered on pandas when this module is imported (the facade does so when ``pcanb.charts``
is first used or a session is opened). Each method is the function it names, with the frame
as its first argument: same parameters, same docstring.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pandas as pd

from pcanb.analysis import activity as _activity
from pcanb.analysis import expiry as _expiry
from pcanb.ui import charts


def _method(function: Callable[..., Any]) -> Any:
    @functools.wraps(function)
    def method(self: PcaAccessor, *args: Any, **kwargs: Any) -> Any:
        return function(self._frame, *args, **kwargs)

    return method


class PcaAccessor:
    """``frame.pca``: pcanb's charts and analyses for an audit report, inventory or CA frame."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame

    # charts
    timeline = _method(charts.audit_timeline)
    expiry = _method(charts.expiry)
    validity = _method(charts.validity)
    expiry_histogram = _method(charts.expiry_histogram)
    hierarchy = _method(charts.hierarchy)
    # analyses
    activity = _method(_activity.activity)
    bursts = _method(_activity.bursts)
    revocation_reasons = _method(_activity.revocation_reasons)
    validity_distribution = _method(_activity.validity_distribution)
    expiring = _method(_expiry.expiring)
    expiry_by_week = _method(_expiry.expiry_by_week)
    outliving_ca = _method(_expiry.outliving_ca)
    near_ca_expiry = _method(_expiry.near_ca_expiry)


def register() -> None:
    """Register ``.pca`` on DataFrame once (pandas warns when an accessor is registered twice)."""
    if pd.DataFrame.__dict__.get("pca") is None:
        pd.api.extensions.register_dataframe_accessor("pca")(PcaAccessor)


register()
