"""Money as support staff read it: the currency's minor units, thousands separators, the code.

The columns store 10 decimal places (``MoneyField``), so ``23631.9805000000`` is what
Django would show. The admin shows ``23,631.98 USD`` instead:

* an ISO 4217 currency (``iso_currency_code``) is rounded half up to its exponent (2 for
  most; 0 for JPY, KRW...; 3 for BHD, KWD...);
* an unofficial currency (``unofficial_currency_code``: crypto, loyalty points) has no
  exponent to trust, so its value is shown as stored, trailing zeros trimmed, never
  rounded, with at least two decimals;
* unit prices (a security's close price, a holding's price) keep every stored digit past
  the exponent too: a fund's price of ``12.3456`` is not ``12.35``;
* quantities are not money: as stored, trailing zeros trimmed.

Plaid's sign is kept as Plaid sends it (a positive transaction amount is money out).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import admin

#: ISO 4217 minor units that are not 2. Any other code (or none) has 2.
EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        (
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
DEFAULT_EXPONENT = 2


def exponent(iso_currency_code: str | None) -> int:
    """The ISO 4217 minor units of a currency code (2 when unknown or missing)."""
    return EXPONENTS.get((iso_currency_code or "").upper(), DEFAULT_EXPONENT)


def _trimmed(value: Decimal, at_least: int) -> str:
    """``value`` with every stored digit, trailing zeros trimmed down to ``at_least`` places."""
    places = max(-value.normalize().as_tuple().exponent, at_least, 0)  # type: ignore[operator]
    return f"{value.quantize(Decimal(1).scaleb(-places)):,.{places}f}"


def format_money(
    value: Decimal | None,
    iso_currency_code: str | None = None,
    unofficial_currency_code: str | None = None,
    *,
    unit_price: bool = False,
) -> str | None:
    """``value`` as money: ``-2,289.84 USD``, ``1,200 JPY``, ``0.00012345 BTC``; None stays None.

    ``unit_price`` keeps the digits past the exponent (prices, not amounts).
    """
    if value is None:
        return None
    value = Decimal(value)
    if iso_currency_code:
        places = exponent(iso_currency_code)
        if unit_price:
            text = _trimmed(value, places)
        else:
            rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            text = f"{rounded:,.{places}f}"
        return f"{text} {iso_currency_code}"
    if unofficial_currency_code:
        return f"{_trimmed(value, DEFAULT_EXPONENT)} {unofficial_currency_code}"
    # Plaid sends no currency code: two places, and no code to pretend one.
    return _trimmed(value, DEFAULT_EXPONENT) if unit_price else f"{value:,.2f}"


def format_quantity(value: Decimal | None) -> str | None:
    """A quantity (shares, units): every stored digit, thousands separated, no trailing zeros."""
    if value is None:
        return None
    return _trimmed(Decimal(value), 0)


def _currency_of(obj: Any, path: str) -> tuple[str | None, str | None]:
    source = obj
    for part in filter(None, path.split("__")):
        source = getattr(source, part, None)
    return (
        getattr(source, "iso_currency_code", None),
        getattr(source, "unofficial_currency_code", None),
    )


def money_column(
    field: str,
    description: Any,
    *,
    currency_from: str = "",
    unit_price: bool = False,
) -> Callable[[Any, Any], str | None]:
    """An admin column (list or detail) showing ``field`` as money, sortable by ``field``.

    Its currency is the row's (``iso_currency_code``, ``unofficial_currency_code``), or
    that of the relation ``currency_from`` names (``"account"``). Name the attribute
    ``money_<something>``: the dj-plaid admin's stylesheet right-aligns those cells.
    """

    @admin.display(description=description, ordering=field)
    def column(model_admin: Any, obj: Any) -> str | None:
        iso, unofficial = _currency_of(obj, currency_from)
        return format_money(getattr(obj, field), iso, unofficial, unit_price=unit_price)

    return column


def quantity_column(field: str, description: Any) -> Callable[[Any, Any], str | None]:
    """An admin column showing ``field`` as a quantity (see :func:`format_quantity`)."""

    @admin.display(description=description, ordering=field)
    def column(model_admin: Any, obj: Any) -> str | None:
        return format_quantity(getattr(obj, field))

    return column
