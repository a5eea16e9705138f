"""Escape-by-default HTML: every piece of text is escaped unless it is already :class:`Html`."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

__all__ = ["Html", "escape", "h", "table"]

_TAG_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_VOID = frozenset({"br", "col", "hr", "img", "input", "meta", "wbr"})


class Html(str):
    """Trusted HTML markup: inserted as it is, never escaped again."""

    __slots__ = ()


def escape(value: object) -> Html:
    """``value`` as HTML text: :class:`Html` passes through, anything else is escaped."""
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def _children(children: Iterable[object]) -> Iterable[Html]:
    for child in children:
        if child is None or child is False:
            continue
        if isinstance(child, list | tuple):
            yield from _children(child)
        else:
            yield escape(child)


def _attribute(name: str, value: object) -> str:
    name = name.rstrip("_").replace("_", "-")
    if value is True:
        return f" {name}"
    return f' {name}="{html.escape(str(value), quote=True)}"'


def h(tag: str, *children: object, **attrs: object) -> Html:
    """The element ``<tag attrs>children</tag>``; text children and attribute values are escaped.

    ``class_="x"`` gives ``class="x"``, ``data_id`` gives ``data-id``; attributes set to
    ``None`` or ``False`` are left out; ``None`` children are skipped, lists are flattened.
    """
    if not _TAG_RE.fullmatch(tag):
        raise ValueError(f"not an HTML tag name: {tag!r}")
    attributes = "".join(
        _attribute(k, v) for k, v in attrs.items() if v is not None and v is not False
    )
    if tag in _VOID:
        return Html(f"<{tag}{attributes}>")
    return Html(f"<{tag}{attributes}>{''.join(_children(children))}</{tag}>")


_LABEL_STYLE = (
    "text-align:left;vertical-align:top;padding:2px 12px 2px 0;opacity:.7;font-weight:normal;"
    "white-space:nowrap;"
)
_VALUE_STYLE = "text-align:left;vertical-align:top;padding:2px 0;word-break:break-word;"


def _cell_value(value: object) -> object:
    if isinstance(value, list | tuple):
        items = [escape(v) for v in value]
        return [item if i == 0 else [h("br"), item] for i, item in enumerate(items)]
    return "—" if value is None else value


def table(rows: list[tuple[str, object]], **attrs: object) -> Html:
    """A two-column label/value table; list values go one item per line, ``None`` shows "—"."""
    body = [
        h(
            "tr",
            h("th", label, style=_LABEL_STYLE),
            h("td", _cell_value(value), style=_VALUE_STYLE),
            style="background:transparent;",
        )
        for label, value in rows
    ]
    attrs.setdefault("style", "border-collapse:collapse;color:inherit;background:transparent;")
    return h("table", h("tbody", body), **attrs)
