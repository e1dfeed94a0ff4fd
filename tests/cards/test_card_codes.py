"""Card codes: opaque QR codes and fallback codes whose check character catches typos."""
from __future__ import annotations

import pytest

from server.cards import codes


def _codes(n: int = 40) -> list[str]:
    return [codes.new_fallback() for _ in range(n)] + ["0" * 8 + codes.check_char("0" * 8)]


def test_qr_code_is_prefix_and_100_random_bits():
    made = {codes.new_qr_code() for _ in range(2000)}
    assert len(made) == 2000
    for code in made:
        assert len(code) == codes.QR_LENGTH == 22 and code.startswith("C1")
        assert codes.is_qr_code(code)
    assert len(codes.QR_ALPHABET) ** codes.QR_RANDOM_CHARS >= 2 ** 100


def test_every_single_substitution_is_caught():
    for code in _codes():
        assert codes.fallback_ok(code)
        for i, original in enumerate(code):
            for other in codes.FALLBACK_ALPHABET:
                if other != original:
                    typo = code[:i] + other + code[i + 1:]
                    assert not codes.fallback_ok(typo), (code, typo)


def test_every_transposition_is_caught():
    """Adjacent swaps (the usual typing slip) and, with distinct weights, any swap."""
    for code in _codes():
        for i in range(len(code)):
            for j in range(i + 1, len(code)):
                if code[i] != code[j]:
                    swapped = list(code)
                    swapped[i], swapped[j] = swapped[j], swapped[i]
                    assert not codes.fallback_ok("".join(swapped)), (code, i, j)


def test_typed_forms_are_normalised():
    code = codes.new_fallback()
    printed = codes.format_fallback(code)
    assert printed[4] == "-" and printed[9] == "-"
    assert codes.fallback_ok(codes.normalise_fallback(printed.lower()))
    assert codes.fallback_ok(codes.normalise_fallback(" " + printed.replace("-", " ") + " "))
    assert codes.normalise_fallback("o1il-") == "0111"


@pytest.mark.parametrize("text", ["", "C1" + "0" * 19, "C1" + "0" * 21, "C1" + "U" * 20,
                                  "c1" + "0" * 20, "X1" + "0" * 20, "C1" + "0" * 19 + "-"])
def test_malformed_qr_codes_are_refused(text):
    assert not codes.is_qr_code(text)


@pytest.mark.parametrize("text", ["", "ABC", "ABCDEFGHZ", "ABCDEFGH00", "ABCD-EFGH",
                                  "ABCDEFGH" + "*"])
def test_malformed_fallbacks_are_refused(text):
    assert not codes.fallback_ok(codes.normalise_fallback(text))
