"""The national ID number: checksum, birth date, sex."""
import datetime as dt

import pytest

from server.validation import idcard


def test_valid_number_round_trips():
    number = "51192119500307001" + idcard.check_char("51192119500307001")
    assert idcard.validate(number) == number
    assert idcard.birth_date_of(number) == dt.date(1950, 3, 7)
    assert idcard.sex_of(number) == "male"


def test_lower_case_x_and_spaces_are_normalised():
    # 11010519491231002X is the specification's worked example (check character X).
    assert idcard.validate(" 11010519491231002x ") == "11010519491231002X"
    assert idcard.sex_of("11010519491231002X") == "female"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("11010519491231002", "national_id_format"),  # 17 digits
        ("1101051949123100200", "national_id_format"),  # 19 digits
        ("11010519491231002Y", "national_id_format"),
        ("11010519491331002X", "national_id_birth_date"),  # month 13
        ("11010518000101002X", "national_id_birth_date"),  # before 1880
        ("110105194912310021", "national_id_checksum"),
        ("11010519491231003X", "national_id_checksum"),  # one digit mistyped
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(number, code):
    with pytest.raises(idcard.NationalIdError) as e:
        idcard.validate(number)
    assert e.value.code == code


def test_every_single_digit_typo_is_caught():
    good = "11010519491231002X"
    for pos in range(17):
        for d in "0123456789":
            if d == good[pos]:
                continue
            bad = good[:pos] + d + good[pos + 1:]
            try:
                idcard.validate(bad)
            except idcard.NationalIdError:
                continue
            pytest.fail(f"typo at {pos} ({bad}) not caught")
