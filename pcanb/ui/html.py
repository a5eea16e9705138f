"""Escape-by-default HTML: every piece of text is escaped unless it is already :class:`Html`.

Escaped text also shows its invisible characters: a bidi control (U+202E RIGHT-TO-LEFT
OVERRIDE…), a C0/C1 control, a zero-width or other format character, a line separator is
drawn as its ``\\u202e`` escape in a marked style, so a name cannot reorder or hide what is
around it. :func:`isolate` keeps a value's own direction from reordering its neighbours.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["CONTROL_CLASS", "Html", "escape", "h", "isolate", "table", "visible"]

#: Unicode categories drawn as escapes: controls, format characters (bidi controls, zero-width
#: characters), lone surrogates, line and paragraph separators.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: The class of the ``<span>`` that shows an invisible character as its escape.
CONTROL_CLASS = "pcanb-control"
_CONTROL_STYLE = (
    "font-family:var(--jp-code-font-family,monospace);font-size:.9em;padding:0 2px;"
    "border-radius:3px;color:#b2182b;background:rgba(218,54,51,.12);unicode-bidi:isolate;"
)

_TAG_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_VOID = frozenset({"br", "col", "hr", "img", "input", "meta", "wbr"})


class Html(str):
    """Trusted HTML markup: inserted as it is, never escaped again."""

    __slots__ = ()


def _hidden(char: str) -> bool:
    return unicodedata.category(char) in _HIDDEN


def _code(char: str) -> str:
    point = ord(char)
    return f"\\u{point:04x}" if point <= 0xFFFF else f"\\U{point:08x}"


def visible(text: str) -> str:
    """``text`` with each invisible character replaced by its escape (``\\u202e``), as plain
    text: for attribute values, where no markup can mark it."""
    if text.isprintable():
        return text
    return "".join(_code(c) if _hidden(c) else c for c in text)


def _control(char: str) -> str:
    name = unicodedata.name(char, "control character")
    title = html.escape(f"U+{ord(char):04X} {name}", quote=True)
    attributes = f'class="{CONTROL_CLASS}" title="{title}" style="{_CONTROL_STYLE}"'
    return f"<span {attributes}>{_code(char)}</span>"


def escape(value: object) -> Html:
    """``value`` as HTML text: :class:`Html` passes through, anything else is escaped, and its
    invisible characters (bidi controls, C0/C1 controls, zero-width…) are shown as escapes."""
    if isinstance(value, Html):
        return value
    text = str(value)
    if text.isprintable():  # the usual case: nothing hidden
        return Html(html.escape(text, quote=True))
    return Html("".join(_control(c) if _hidden(c) else html.escape(c, quote=True) for c in text))


def isolate(value: object) -> Html:
    """``value`` escaped, in a ``<bdi>``: its own writing direction (a Hebrew or Arabic name)
    stays inside and does not reorder the text around it."""
    return h("bdi", value)


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
    return f' {name}="{html.escape(visible(str(value)), quote=True)}"'


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
        items = [isolate(v) for v in value]
        return [item if i == 0 else [h("br"), item] for i, item in enumerate(items)]
    return "—" if value is None else isolate(value)


def table(rows: list[tuple[str, object]], **attrs: object) -> Html:
    """A two-column label/value table; list values go one item per line, ``None`` shows "—";
    each value is isolated (:func:`isolate`)."""
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
