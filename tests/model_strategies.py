"""Hypothesis strategies from botocore service-model shapes, shared by the model-driven tests.

:func:`from_shape` walks structures (required members always, others at random), lists and maps;
what a scalar (or any member the caller knows better) gets comes from the caller's ``leaf``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

#: ``leaf(shape, member_name)``: a strategy for that member, or ``None`` for "walk it generically"
#: (structures, lists and maps; a leaf must answer for every scalar).
Leaf = Callable[[Any, str], st.SearchStrategy | None]


def from_shape(
    shape: Any, leaf: Leaf, name: str = "", depth: int = 0, *, max_depth: int = 3
) -> st.SearchStrategy:
    """Values of ``shape``: optional members are left out at random, and always below
    ``max_depth``; lists and maps hold at most 2 items (at least the model's minimum)."""
    chosen = leaf(shape, name)
    if chosen is not None:
        return chosen
    kind = shape.type_name
    if kind == "structure":
        members = dict(shape.members)
        required = set(shape.required_members)

        @st.composite
        def build(draw: Any) -> dict[str, Any]:
            out = {}
            for member, member_shape in members.items():
                if member in required or (depth < max_depth and draw(st.booleans())):
                    out[member] = draw(
                        from_shape(member_shape, leaf, member, depth + 1, max_depth=max_depth)
                    )
            return out

        return build()
    if kind == "list":
        low = shape.metadata.get("min", 0)
        element = from_shape(shape.member, leaf, name, depth + 1, max_depth=max_depth)
        return st.lists(element, min_size=low, max_size=max(low, 2))
    if kind == "map":
        return st.dictionaries(
            from_shape(shape.key, leaf, name, depth + 1, max_depth=max_depth),
            from_shape(shape.value, leaf, name, depth + 1, max_depth=max_depth),
            max_size=2,
        )
    raise AssertionError(f"the leaf gave no strategy for {name or shape.name} ({kind})")
