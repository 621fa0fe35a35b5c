"""Money as money: the currency's exponent, separators, the code, the sign, no data lost."""

from decimal import Decimal

import pytest

from django_plaid.admin.money import exponent, format_money, format_quantity


@pytest.mark.parametrize(
    ("value", "iso", "unofficial", "shown"),
    [
        (Decimal("23631.9805000000"), "USD", None, "23,631.98 USD"),
        (Decimal("-2289.8400000000"), "USD", None, "-2,289.84 USD"),
        (Decimal("0.005"), "USD", None, "0.01 USD"),
        (Decimal("1234.5"), "JPY", None, "1,235 JPY"),
        (Decimal("1234.5"), "KRW", None, "1,235 KRW"),
        (Decimal("12.3456"), "BHD", None, "12.346 BHD"),
        (Decimal("-0.1"), "KWD", None, "-0.100 KWD"),
        (Decimal("1.00012345"), None, "BTC", "1.00012345 BTC"),
        (Decimal("5.0000000000"), None, "BTC", "5.00 BTC"),
        (Decimal("1234567.891"), None, None, "1,234,567.89"),
        (Decimal("0E-10"), "EUR", None, "0.00 EUR"),
    ],
)
def test_money(value, iso, unofficial, shown):
    assert format_money(value, iso, unofficial) == shown


def test_positive_amount_stays_positive():
    # Plaid's convention (positive = money out) is shown as Plaid says, never flipped.
    assert format_money(Decimal("12.5"), "USD") == "12.50 USD"
    assert format_money(Decimal("-12.5"), "USD") == "-12.50 USD"


def test_unit_prices_keep_their_digits():
    assert format_money(Decimal("123.4567000000"), "USD", unit_price=True) == "123.4567 USD"
    assert format_money(Decimal("123.4000000000"), "USD", unit_price=True) == "123.40 USD"
    assert format_money(Decimal("1500"), "JPY", unit_price=True) == "1,500 JPY"


def test_none_is_empty():
    assert format_money(None, "USD") is None
    assert format_quantity(None) is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234.5670000000"), "1,234.567"),
        (Decimal("100.0000000000"), "100"),
        (Decimal("0.0000000001"), "0.0000000001"),
        (Decimal("-3"), "-3"),
    ],
)
def test_quantities_keep_their_precision_without_trailing_zeros(value, shown):
    assert format_quantity(value) == shown


def test_exponents():
    assert exponent("usd") == 2
    assert exponent("JPY") == 0
    assert exponent("OMR") == 3
    assert exponent(None) == 2
    assert exponent("XYZ") == 2
