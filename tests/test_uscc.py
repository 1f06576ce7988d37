"""The import's own check of unified social credit codes says what python-stdnum says."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as uscc_check

from spotcheck.directory.imports import USCC_ALPHABET, parse_uscc

# Characters that stdnum cleans, maps or refuses, full-width digits and letters, and letters
# outside the alphabet (I, O, S, V, Z), in either case.
NOISE = " -`'*.:/IOSVZiosvz０１９Ａ－\u3000ß"


def stdnum_accepts(text: str) -> bool:
    """The check as it was: 18 characters after strip and upper, then stdnum's validate."""
    code = text.strip().upper()
    return len(code) == 18 and uscc_check.is_valid(code)


def verdict(text: str) -> bool:
    try:
        parse_uscc(text)
    except ValueError:
        return False
    return True


@st.composite
def codes(draw) -> str:
    body = draw(st.text("0123456789", min_size=8, max_size=8)) + draw(
        st.text(USCC_ALPHABET, min_size=9, max_size=9))
    code = body + uscc_check.calc_check_digit(body)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, 17))
        code = code[:at] + draw(st.sampled_from(USCC_ALPHABET + NOISE)) + code[at + 1:]
    if draw(st.booleans()):
        code = code.lower()
    return draw(st.sampled_from(["", " "])) + code + draw(st.sampled_from(["", " ", "\t"]))


@settings(max_examples=3000, deadline=None)
@given(st.one_of(codes(), st.text(USCC_ALPHABET + NOISE, min_size=16, max_size=20)))
def test_parse_uscc_agrees_with_python_stdnum(text):
    assert verdict(text) == stdnum_accepts(text)


def test_valid_codes_are_upper_cased_and_kept():
    assert parse_uscc(" 91500113urq283fqe2 ") == "91500113URQ283FQE2"
