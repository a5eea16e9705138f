"""``pcanb.charts``: the chart functions of :mod:`pcanb.ui.charts`, and the ``.pca`` accessor.

>>> from pcanb.charts import expiry
>>> expiry(pca.certificates(), now=pca.now())

Importing this module registers ``frame.pca`` on pandas; matplotlib loads only when a chart
is drawn.
"""

from __future__ import annotations

from pcanb.ui import accessor as _accessor
from pcanb.ui.charts import (
    BAND_COLORS,
    OTHER_COLOR,
    PALETTE,
    REASON_COLORS,
    STATUS_COLORS,
    audit_timeline,
    auto_freq,
    expiry,
    expiry_histogram,
    hierarchy,
    validity,
)

_accessor.register()

__all__ = [
    "BAND_COLORS",
    "OTHER_COLOR",
    "PALETTE",
    "REASON_COLORS",
    "STATUS_COLORS",
    "audit_timeline",
    "auto_freq",
    "expiry",
    "expiry_histogram",
    "hierarchy",
    "validity",
]
