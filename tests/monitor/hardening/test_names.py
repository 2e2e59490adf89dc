"""Issue 25, item 4: look-alike names are one name, or refused.

The issue's eleven variants of a service name: those that only look alike in
another Unicode form (full-width letters, NFD ``café``) are the configured
name once normalised to NFKC, so they add no series; those that hide
something (a zero-width space, a trailing space, a byte-order mark, a soft
hyphen, RLO, a variation selector) or mix alphabets (a Cyrillic ``о`` in a
Latin name) are 422 naming the event and the field. The rule is written twice,
as code and as the OpenAPI ``pattern``: both say the same of any text."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.names import (
    FORBIDDEN,
    MAX_NAME_CHARS,
    NAME_PATTERN,
    SPACES,
    name_problem,
    normalized,
)
from monitor.core.wire import name_schema
from tests.monitor.hardening.conftest import client_for, issued, post, settings_for
from tests.monitor.hardening.test_labels import _label_values

MERGED = {  # variant -> the name it is once normalised
    "ｃｏｎｓｕｌｔ": "consult",  # full-width letters
    "cafe\u0301": "café",  # NFD: e and a combining acute accent
    "café": "café",  # NFC
}
REFUSED = {  # variant -> what the reason says
    "cons\u200bult": "U+200B",  # zero-width space
    "consult ": "space",  # a trailing space
    " consult": "space",
    "\ufeffconsult": "U+FEFF",  # byte-order mark
    "con\u00adsult": "U+00AD",  # soft hyphen
    "\u202econsult": "U+202E",  # right-to-left override
    "consult\ufe0f": "U+FE0F",  # variation selector
    "c\u043ensult": "Cyrillic",  # Cyrillic о in a Latin name
    "Vip\u2028": "U+2028",  # line separator
}


def test_look_alike_names_are_the_same_series_or_422(tmp_path: Path) -> None:
    with client_for(settings_for(tmp_path)) as client:
        for i, variant in enumerate(MERGED):
            reply = post(client, [issued(i, service=variant)])
            assert reply.status_code == 200, (variant, reply.text)
        for i, (variant, why) in enumerate(REFUSED.items(), start=100):
            reply = post(client, [issued(i), issued(i + 1, service=variant)])
            assert reply.status_code == 422, variant
            (problem,) = reply.json()["detail"]
            assert (problem["index"], problem["field"]) == (1, "service"), variant
            assert why in problem["reason"], (variant, problem["reason"])
        text = client.get("/metrics").text
    services = _label_values(text, "hall_tickets_issued_total", "service")
    assert services == {"consult", "business", "payment", "café"}  # NFC and NFD: one


def test_names_are_stored_in_nfkc(tmp_path: Path) -> None:
    with client_for(settings_for(tmp_path)) as client:
        event = issued(1, service="ｃａｆｅ\u0301", segment="ｇｏｔｏｎｅ") | {"id": "ｉｄ-1"}
        assert post(client, [event]).status_code == 200
        again = post(client, [issued(1, service="cafe\u0301", segment="gotone") | {"id": "id-1"}])
        assert again.json() == {"accepted": 0, "duplicates": 1}  # the same event
        state = client.get("/v1/halls/county/state").json()
    assert {"service": "café", "segment": "gotone", "count": 1} in [
        {k: p[k] for k in ("service", "segment", "count")} for p in state["issued"]
    ]


def test_every_format_character_of_this_python_is_forbidden() -> None:
    """The table is fixed (the OpenAPI pattern must not depend on the Python
    that serves it); a newer Unicode with new format characters fails here."""
    forbidden = {cp for a, b in FORBIDDEN for cp in range(a, b + 1)}
    format_chars = [
        cp for cp in range(0x110000) if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp")
    ]
    assert set(format_chars) <= forbidden
    spaces = {cp for a, b in SPACES for cp in range(a, b + 1)}
    assert {cp for cp in range(0x110000) if unicodedata.category(chr(cp)) == "Zs"} == spaces


_SCHEMA = jsonschema_rs.Draft202012Validator(name_schema("a name"))
_PYTHON = re.compile(NAME_PATTERN)


def _valid_by_schema(text: str) -> bool:
    return _SCHEMA.is_valid(text)


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8"),
            st.sampled_from("aо\u200b \u3000\ufeff\u00ad\u202e\ufe0f\u0301αЖｃ营"),
        ),
        max_size=MAX_NAME_CHARS + 3,
    )
)
def test_the_code_and_the_openapi_pattern_agree(text: str) -> None:
    by_code = name_problem(text) is None
    assert by_code == _valid_by_schema(text), (text, name_problem(text))
    if len(text) <= MAX_NAME_CHARS and text:
        assert by_code == bool(_PYTHON.search(text)), text


@pytest.mark.parametrize(
    "name", ["全球通VIP", "全球通 VIP-2 (东门)", "Обслуживание", "Ελληνικά", "a" * 128, "café"]
)
def test_names_in_any_one_script_are_fine(name: str) -> None:
    assert name_problem(name) is None and _valid_by_schema(name)
    assert normalized(name) == unicodedata.normalize("NFKC", name)
