"""Hypothesis strategies for the directory: acceptable targets, and ZeeRex records built
from arbitrary text."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape

from hypothesis import strategies as st

from shelfnet.directory.checks import Rejected, check_text, clean_text
from shelfnet.directory.model import (
    Address,
    Authentication,
    Target,
    TargetProtocol,
    TargetStatus,
)
from tests.unit.directory.records import zeerex


def _acceptable(text: str) -> bool:
    try:
        check_text("text", text)
    except Rejected:
        return False
    return True


def plain_text(*, exclude: str = "", max_size: int = 30) -> st.SearchStrategy[str]:
    """Text the directory keeps as it is: no markup, no controls, white space tidy."""
    characters = st.characters(
        categories=("L", "N", "P", "S", "Zs"), exclude_characters=f"<{exclude}"
    )
    return st.text(characters, max_size=max_size).map(clean_text).filter(_acceptable)


def names(exclude: str = "") -> st.SearchStrategy[str]:
    return plain_text(exclude=exclude).filter(bool)


_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_TOP = st.from_regex(r"[a-z]{2,6}", fullmatch=True)
hosts = st.one_of(
    st.builds(lambda labels, top: ".".join([*labels, top]), st.lists(_LABEL, max_size=3), _TOP),
    st.ip_addresses(v=4).map(str).filter(lambda ip: not ip.startswith("127.") and ip != "0.0.0.0"),
)
ports = st.integers(1, 65535)


@st.composite
def addresses(draw: st.DrawFn) -> Address:
    protocol = draw(st.sampled_from(TargetProtocol))
    if protocol is TargetProtocol.SRU:
        path = draw(
            st.from_regex(r"([a-zA-Z0-9_.-]{1,10}(/[a-zA-Z0-9_.-]{1,10}){0,2})?", fullmatch=True)
        )
        databases: tuple[str, ...] = (path,) if path else ()
    else:
        databases = tuple(draw(st.lists(names(exclude="+;,"), min_size=1, max_size=3)))
    return Address(draw(hosts), draw(ports), databases, protocol, draw(st.booleans()))


times = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
list_items = names(exclude=";,+")


@st.composite
def targets(draw: st.DrawFn) -> Target:
    text = plain_text()
    return Target(
        draw(addresses()),
        name=draw(text),
        institution=draw(text),
        description=draw(plain_text(max_size=200)),
        contact=draw(text),
        country=draw(text),
        library_type=draw(text),
        record_syntaxes=tuple(draw(st.lists(list_items, max_size=4))),
        element_sets=tuple(draw(st.lists(list_items, max_size=3))),
        charset=draw(text),
        authentication=Authentication(draw(text), draw(text), draw(text)),
        bib1_indexes=tuple(draw(st.lists(st.integers(1, 2**31 - 1), max_size=6))),
        groups=tuple(draw(st.lists(list_items, max_size=3))),
        status=draw(st.sampled_from(TargetStatus)),
        implementation_id=draw(text),
        implementation_name=draw(text),
        implementation_version=draw(text),
        modified=draw(st.none() | times),
    )


def distinct_targets(max_size: int = 8) -> st.SearchStrategy[list[Target]]:
    return st.lists(targets(), max_size=max_size, unique_by=lambda target: target.key)


# Anything at all, including markup written as text or as escaped text, in every field.
wild_text = st.text(max_size=40) | st.sampled_from(
    [
        "<b>bold</b>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "javascript:alert(1)",
        'x" onmouseover="alert(1)',
        "a < b",
        "name <mail@example.org>",
        "\u202eevil",
        "",
        "210",
        "localhost",
    ]
)


@st.composite
def wild_zeerex(draw: st.DrawFn) -> bytes:
    """A ZeeRex record whose fields hold anything (escaped, so the XML may still parse)."""
    raw = draw(st.booleans())
    host = draw(wild_text | hosts)
    return zeerex(
        host=host,
        raw_host=host if raw else None,
        port=draw(wild_text | ports.map(str)),
        database=draw(wild_text),
        protocol=draw(st.sampled_from(["Z39.50", "SRU", "tcp", "gopher"]) | wild_text),
        title=draw(wild_text),
        description=draw(wild_text.map(escape)),
        author=draw(wild_text),
    )
