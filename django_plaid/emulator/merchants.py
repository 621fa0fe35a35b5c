"""Who the emulator's transactions are with: merchants, payees and what Plaid says of them.

Each ``Merchant`` carries everything about a transaction that depends on the counterparty
and not on the occurrence: ``name``, ``merchant_name``, the legacy ``category``, the
``personal_finance_category`` (Plaid's PFC taxonomy), ``payment_channel``, ``location``,
``payment_meta`` and ``counterparties``. Those keys are serialized once per merchant into
a JSON fragment that every one of its transactions shares (``Merchant.fragment``), which
keeps 100,000 transactions small and fast to serve.

``SPENDING`` and ``RECURRING`` say which merchants show up on which kind of account, how
often, and on what schedule.
"""

from __future__ import annotations

import hashlib
import json
import string
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    # typing.Unpack is 3.11+; the package supports 3.10, and this is only for the checker.
    from typing_extensions import Unpack

__all__ = [
    "MERCHANTS",
    "RATES",
    "RECURRING",
    "SPENDING",
    "Merchant",
    "account_kind",
    "custom_merchant",
    "entity_id",
    "match_merchant",
]

_ALPHANUMERIC = string.ascii_letters + string.digits
_NULL_LOCATION: dict[str, Any] = {
    "address": None,
    "city": None,
    "region": None,
    "postal_code": None,
    "country": None,
    "lat": None,
    "lon": None,
    "store_number": None,
}
_NULL_PAYMENT_META: dict[str, Any] = {
    "by_order_of": None,
    "payee": None,
    "payer": None,
    "payment_method": None,
    "payment_processor": None,
    "ppd_id": None,
    "reason": None,
    "reference_number": None,
}
_TRANSACTION_TYPES = {"in store": "place", "online": "digital", "other": "special"}


def entity_id(key: str) -> str:
    """A stable 37-character alphanumeric id for ``key`` (merchant_entity_id and the like)."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest(), "big")
    chars = []
    for _ in range(37):
        digest, index = divmod(digest, 62)
        chars.append(_ALPHANUMERIC[index])
    return "".join(chars)


@dataclass(frozen=True)
class Merchant:
    """The counterparty side of a transaction, and its pre-serialized JSON fragment.

    ``low``/``high`` bound the amount's size and ``sign`` its direction (+1: money out, as
    Plaid counts it; -1: money in). ``pendable`` transactions (card purchases) show up as
    pending first; ``timed`` ones carry ``datetime``/``authorized_datetime``; ``tip`` ones
    may post for more than they were authorized for (a restaurant tip).
    """

    key: str
    name: str
    merchant_name: str | None
    low: float
    high: float
    sign: int
    pfc_primary: str
    pfc_detailed: str
    pfc_confidence: str = "VERY_HIGH"
    category: tuple[str, ...] | None = None
    category_id: str | None = None
    payment_channel: str = "in store"
    counterparty_type: str | None = "merchant"
    website: str | None = None
    location: tuple[Any, ...] | None = None
    payment_meta: tuple[tuple[str, str], ...] = ()
    pendable: bool = False
    timed: bool = False
    tip: bool = False
    iso_currency_code: str | None = "USD"
    original_description: str | None = None
    #: The two JSON fragments (without braces), filled in by ``__post_init__``.
    fragment: str = field(default="", compare=False, repr=False)
    fragment_original: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        static = self.static_fields()
        text = json.dumps(static, separators=(",", ":"))[1:-1]
        original = self.original_description or self.name.upper()
        with_original = json.dumps(
            {**static, "original_description": original}, separators=(",", ":")
        )[1:-1]
        # Frozen dataclass: the fragments are derived once, here.
        object.__setattr__(self, "fragment", text)
        object.__setattr__(self, "fragment_original", with_original)

    @property
    def logo_url(self) -> str | None:
        """Plaid-style logo URL for a recognised merchant, or None."""
        if self.merchant_name is None or self.website is None:
            return None
        slug = "".join(c if c.isalnum() else "_" for c in self.merchant_name.lower()).strip("_")
        return f"https://plaid-merchant-logos.plaid.com/{slug}.png"

    def static_fields(self) -> dict[str, Any]:
        """The Transaction keys this merchant decides, with explicit nulls."""
        location = dict(_NULL_LOCATION)
        if self.location is not None:
            keys = ("address", "city", "region", "postal_code", "country", "lat", "lon")
            location.update(zip(keys, self.location[:7], strict=True))
            location["store_number"] = self.location[7] if len(self.location) > 7 else None
        payment_meta = {**_NULL_PAYMENT_META, **dict(self.payment_meta)}
        merchant_entity = (
            entity_id("merchant:" + self.merchant_name) if self.merchant_name else None
        )
        counterparties: list[dict[str, Any]] = []
        if self.counterparty_type is not None and self.merchant_name is not None:
            counterparties.append(
                {
                    "name": self.merchant_name,
                    "type": self.counterparty_type,
                    "website": self.website,
                    "logo_url": self.logo_url,
                    "entity_id": merchant_entity,
                    "confidence_level": self.pfc_confidence,
                }
            )
        return {
            "account_owner": None,
            "category": list(self.category) if self.category is not None else None,
            "category_id": self.category_id,
            "check_number": None,
            "counterparties": counterparties,
            "iso_currency_code": self.iso_currency_code,
            "location": location,
            "logo_url": self.logo_url,
            "merchant_entity_id": merchant_entity,
            "merchant_name": self.merchant_name,
            "name": self.name,
            "payment_channel": self.payment_channel,
            "payment_meta": payment_meta,
            "personal_finance_category": {
                "primary": self.pfc_primary,
                "detailed": self.pfc_detailed,
                "confidence_level": self.pfc_confidence,
            },
            "personal_finance_category_icon_url": (
                f"https://plaid-category-icons.plaid.com/PFC_{self.pfc_primary}.png"
            ),
            "transaction_code": None,
            "transaction_type": _TRANSACTION_TYPES.get(self.payment_channel, "unresolved"),
            "unofficial_currency_code": None,
            "website": self.website,
        }

    def renamed(self, name: str) -> Merchant:
        """The same merchant under another ``name`` (what a bank's re-description does)."""
        return replace(self, name=name, original_description=None)


class _MerchantFields(TypedDict, total=False):
    """The optional ``Merchant`` fields ``_m`` passes through unchanged."""

    pfc_confidence: str
    category: tuple[str, ...] | None
    category_id: str | None
    payment_channel: str
    counterparty_type: str | None
    website: str | None
    location: tuple[Any, ...] | None
    payment_meta: tuple[tuple[str, str], ...]
    pendable: bool
    timed: bool
    tip: bool
    iso_currency_code: str | None
    original_description: str | None


def _m(
    key: str,
    name: str,
    merchant_name: str | None,
    amount: float | tuple[float, float],
    pfc: str,
    *,
    money_in: bool = False,
    **fields: Unpack[_MerchantFields],
) -> Merchant:
    low, high = (amount, amount) if isinstance(amount, (int, float)) else amount
    primary = pfc.split(":")[0]
    detailed = pfc.split(":")[1] if ":" in pfc else pfc
    return Merchant(
        key=key,
        name=name,
        merchant_name=merchant_name,
        low=float(low),
        high=float(high),
        sign=-1 if money_in else 1,
        pfc_primary=primary,
        pfc_detailed=detailed,
        **fields,
    )


# The presets below are spread into ``_m`` calls next to other keyword arguments, so each
# has its own TypedDict with exactly its keys: a ``total=False`` type would let the
# checker assume any optional key might be present and clash with the explicit ones.
class _Card(TypedDict):
    pendable: bool


class _Online(TypedDict):
    payment_channel: str
    pendable: bool
    timed: bool


class _Other(TypedDict):
    payment_channel: str
    counterparty_type: str | None


_CARD: _Card = {"pendable": True}
_ONLINE: _Online = {"payment_channel": "online", "pendable": True, "timed": True}
_OTHER: _Other = {"payment_channel": "other", "counterparty_type": None}


def _merchants() -> list[Merchant]:
    # Names and sandbox-style descriptions follow Plaid's user_good fixtures where known
    # (United Airlines, Uber, McDonald's, Starbucks, SparkFun, KFC, Madison Bicycle Shop,
    # Touchstone Climbing, Tectra Inc, CD DEPOSIT, AUTOMATIC PAYMENT, INTRST PYMNT).
    return [
        _m(
            "united",
            "United Airlines",
            "United Airlines",
            (180, 950),
            "TRAVEL:TRAVEL_FLIGHTS",
            category=("Travel", "Airlines and Aviation Services"),
            category_id="22001000",
            website="united.com",
            **_ONLINE,
        ),
        _m(
            "uber",
            "Uber 063015 SF**POOL**",
            "Uber",
            (5.4, 38),
            "TRANSPORTATION:TRANSPORTATION_TAXIS_AND_RIDE_SHARES",
            category=("Travel", "Taxi"),
            category_id="22016000",
            website="uber.com",
            **_ONLINE,
        ),
        _m(
            "mcdonalds",
            "McDonald's",
            "McDonald's",
            (6, 15),
            "FOOD_AND_DRINK:FOOD_AND_DRINK_FAST_FOOD",
            category=("Food and Drink", "Restaurants", "Fast Food"),
            category_id="13005032",
            website="mcdonalds.com",
            location=(
                "1 Ferry Building",
                "San Francisco",
                "CA",
                "94111",
                "US",
                37.7955,
                -122.3937,
                "3322",
            ),
            **_CARD,
        ),
        _m(
            "starbucks",
            "Starbucks",
            "Starbucks",
            (3.25, 8.95),
            "FOOD_AND_DRINK:FOOD_AND_DRINK_COFFEE",
            category=("Food and Drink", "Restaurants", "Coffee Shop"),
            category_id="13005043",
            website="starbucks.com",
            location=(
                "560 Mission St",
                "San Francisco",
                "CA",
                "94105",
                "US",
                37.7888,
                -122.3997,
                "8215",
            ),
            **_CARD,
        ),
        _m(
            "sparkfun",
            "SparkFun",
            "SparkFun",
            (29.95, 120),
            "GENERAL_MERCHANDISE:GENERAL_MERCHANDISE_ELECTRONICS",
            category=("Shops", "Computers and Electronics"),
            category_id="19013000",
            website="sparkfun.com",
            **_ONLINE,
        ),
        _m(
            "kfc",
            "KFC",
            "KFC",
            (8, 21),
            "FOOD_AND_DRINK:FOOD_AND_DRINK_FAST_FOOD",
            category=("Food and Drink", "Restaurants", "Fast Food"),
            category_id="13005032",
            website="kfc.com",
            location=(
                "2495 Mission St",
                "San Francisco",
                "CA",
                "94110",
                "US",
                37.7568,
                -122.4188,
                "4720",
            ),
            **_CARD,
        ),
        _m(
            "madison_bicycle",
            "Madison Bicycle Shop",
            "Madison Bicycle Shop",
            (45, 500),
            "GENERAL_MERCHANDISE:GENERAL_MERCHANDISE_SPORTING_GOODS",
            category=("Shops", "Sporting Goods"),
            category_id="19046000",
            website="madisonbicycleshop.com",
            location=(
                "1125 Williamson St",
                "Madison",
                "WI",
                "53703",
                "US",
                43.0827,
                -89.3636,
                None,
            ),
            **_CARD,
        ),
        _m(
            "touchstone",
            "Touchstone Climbing",
            "Touchstone Climbing",
            78.5,
            "PERSONAL_CARE:PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS",
            category=("Recreation", "Gyms and Fitness Centers"),
            category_id="17018000",
            website="touchstoneclimbing.com",
            payment_channel="in store",
        ),
        _m(
            "tectra",
            "Tectra Inc",
            "Tectra Inc",
            (120, 500),
            "FOOD_AND_DRINK:FOOD_AND_DRINK_RESTAURANT",
            pfc_confidence="MEDIUM",
            category=("Food and Drink", "Restaurants"),
            category_id="13005000",
            tip=True,
            **_CARD,
        ),
        _m(
            "cd_deposit",
            "CD DEPOSIT .INITIAL.",
            None,
            1000,
            "TRANSFER_IN:TRANSFER_IN_DEPOSIT",
            money_in=True,
            category=("Transfer", "Deposit"),
            category_id="21007000",
            **_OTHER,
        ),
        _m(
            "autopay",
            "AUTOMATIC PAYMENT - THANK",
            None,
            (150, 2100),
            "LOAN_PAYMENTS:LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
            money_in=True,
            category=("Payment", "Credit Card"),
            category_id="16001000",
            **_OTHER,
        ),
        _m(
            "cc_payment",
            "CREDIT CARD 3333 PAYMENT *//",
            None,
            (150, 2100),
            "LOAN_PAYMENTS:LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
            category=("Payment", "Credit Card"),
            category_id="16001000",
            **_OTHER,
        ),
        _m(
            "interest",
            "INTRST PYMNT",
            None,
            (0.42, 31.5),
            "INCOME:INCOME_INTEREST_EARNED",
            money_in=True,
            category=("Transfer", "Credit"),
            category_id="21005000",
            **_OTHER,
        ),
        _m(
            "payroll",
            "ACME CORP PAYROLL PPD ID: 1234567890",
            "Acme Corp",
            (2150, 2450),
            "INCOME:INCOME_WAGES",
            money_in=True,
            category=("Transfer", "Payroll"),
            category_id="21009000",
            payment_channel="other",
            counterparty_type="income_source",
            payment_meta=(("payer", "ACME CORP"), ("ppd_id", "1234567890")),
        ),
        _m(
            "rent",
            "ZELLE TO GREYSTAR PROPERTY MGMT",
            "Greystar",
            1850,
            "RENT_AND_UTILITIES:RENT_AND_UTILITIES_RENT",
            category=("Payment", "Rent"),
            category_id="16002000",
            payment_channel="other",
            website="greystar.com",
            payment_meta=(("payee", "GREYSTAR PROPERTY MGMT"), ("payment_processor", "Zelle")),
        ),
        _m(
            "pge",
            "PGANDE WEB ONLINE",
            "PG&E",
            (58, 164),
            "RENT_AND_UTILITIES:RENT_AND_UTILITIES_GAS_AND_ELECTRICITY",
            category=("Service", "Utilities", "Gas"),
            category_id="18068000",
            payment_channel="online",
            website="pge.com",
        ),
        _m(
            "comcast",
            "COMCAST XFINITY",
            "Comcast",
            79.99,
            "RENT_AND_UTILITIES:RENT_AND_UTILITIES_INTERNET_AND_CABLE",
            category=("Service", "Cable"),
            category_id="18009000",
            payment_channel="online",
            website="xfinity.com",
        ),
        _m(
            "netflix",
            "Netflix",
            "Netflix",
            15.49,
            "ENTERTAINMENT:ENTERTAINMENT_TV_AND_MOVIES",
            category=("Service", "Subscription"),
            category_id="18061000",
            website="netflix.com",
            **_ONLINE,
        ),
        _m(
            "spotify",
            "Spotify USA",
            "Spotify",
            10.99,
            "ENTERTAINMENT:ENTERTAINMENT_MUSIC_AND_AUDIO",
            category=("Service", "Subscription"),
            category_id="18061000",
            website="spotify.com",
            **_ONLINE,
        ),
        _m(
            "whole_foods",
            "WHOLEFDS MKT 10234",
            "Whole Foods Market",
            (24, 185),
            "FOOD_AND_DRINK:FOOD_AND_DRINK_GROCERIES",
            category=("Shops", "Supermarkets and Groceries"),
            category_id="19047000",
            website="wholefoodsmarket.com",
            location=(
                "399 4th St",
                "San Francisco",
                "CA",
                "94107",
                "US",
                37.7810,
                -122.3997,
                "10234",
            ),
            **_CARD,
        ),
        _m(
            "trader_joes",
            "TRADER JOE S #236",
            "Trader Joe's",
            (18, 120),
            "FOOD_AND_DRINK:FOOD_AND_DRINK_GROCERIES",
            category=("Shops", "Supermarkets and Groceries"),
            category_id="19047000",
            website="traderjoes.com",
            location=(
                "555 9th St",
                "San Francisco",
                "CA",
                "94103",
                "US",
                37.7705,
                -122.4081,
                "236",
            ),
            **_CARD,
        ),
        _m(
            "chipotle",
            "CHIPOTLE 1234",
            "Chipotle Mexican Grill",
            (9.5, 24),
            "FOOD_AND_DRINK:FOOD_AND_DRINK_FAST_FOOD",
            category=("Food and Drink", "Restaurants", "Fast Food"),
            category_id="13005032",
            website="chipotle.com",
            **_CARD,
        ),
        _m(
            "sweetgreen",
            "SWEETGREEN SOMA",
            "Sweetgreen",
            (12, 19),
            "FOOD_AND_DRINK:FOOD_AND_DRINK_RESTAURANT",
            category=("Food and Drink", "Restaurants"),
            category_id="13005000",
            website="sweetgreen.com",
            tip=True,
            **_CARD,
        ),
        _m(
            "shell",
            "SHELL OIL 57444263100",
            "Shell",
            (28, 74),
            "TRANSPORTATION:TRANSPORTATION_GAS",
            category=("Travel", "Gas Stations"),
            category_id="22009000",
            website="shell.com",
            **_CARD,
        ),
        _m(
            "amazon",
            "AMZN Mktp US*2K4LL9RT2",
            "Amazon",
            (9.99, 240),
            "GENERAL_MERCHANDISE:GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
            category=("Shops", "Digital Purchase"),
            category_id="19019000",
            counterparty_type="marketplace",
            website="amazon.com",
            **_ONLINE,
        ),
        _m(
            "cvs",
            "CVS/PHARMACY #09871",
            "CVS Pharmacy",
            (6, 64),
            "MEDICAL:MEDICAL_PHARMACIES_AND_SUPPLEMENTS",
            category=("Shops", "Pharmacies"),
            category_id="19043000",
            website="cvs.com",
            **_CARD,
        ),
        _m(
            "walgreens",
            "WALGREENS #3013",
            "Walgreens",
            (5, 58),
            "MEDICAL:MEDICAL_PHARMACIES_AND_SUPPLEMENTS",
            category=("Shops", "Pharmacies"),
            category_id="19043000",
            website="walgreens.com",
            **_CARD,
        ),
        _m(
            "atm",
            "ATM WITHDRAWAL 0483 MARKET ST",
            None,
            (40, 200),
            "TRANSFER_OUT:TRANSFER_OUT_WITHDRAWAL",
            category=("Transfer", "Withdrawal", "ATM"),
            category_id="21012002",
            **_OTHER,
        ),
        _m(
            "venmo",
            "VENMO PAYMENT 1023456789",
            "Venmo",
            (10, 150),
            "TRANSFER_OUT:TRANSFER_OUT_ACCOUNT_TRANSFER",
            pfc_confidence="HIGH",
            category=("Transfer", "Third Party", "Venmo"),
            category_id="21010001",
            payment_channel="online",
            counterparty_type="payment_app",
            website="venmo.com",
        ),
        _m(
            "to_savings",
            "ONLINE TRANSFER TO SAVINGS XXXXXX1111",
            None,
            (100, 500),
            "TRANSFER_OUT:TRANSFER_OUT_SAVINGS",
            category=("Transfer", "Debit"),
            category_id="21006000",
            **_OTHER,
        ),
        _m(
            "from_checking",
            "ONLINE TRANSFER FROM CHECKING XXXXXX0000",
            None,
            (100, 500),
            "TRANSFER_IN:TRANSFER_IN_ACCOUNT_TRANSFER",
            money_in=True,
            category=("Transfer", "Credit"),
            category_id="21005000",
            **_OTHER,
        ),
        _m(
            "hsa_contribution",
            "HSA CONTRIBUTION EMPLOYER",
            None,
            (100, 250),
            "TRANSFER_IN:TRANSFER_IN_DEPOSIT",
            money_in=True,
            category=("Transfer", "Deposit"),
            category_id="21007000",
            **_OTHER,
        ),
        _m(
            "gsuite",
            "GOOGLE *GSUITE_TECTRA",
            "Google Workspace",
            (72, 144),
            "GENERAL_SERVICES:GENERAL_SERVICES_OTHER_GENERAL_SERVICES",
            category=("Service", "Computers"),
            category_id="18012000",
            website="workspace.google.com",
            **_ONLINE,
        ),
        _m(
            "aws",
            "AMAZON WEB SERVICES AWS.AMAZON.CO",
            "Amazon Web Services",
            (12, 860),
            "GENERAL_SERVICES:GENERAL_SERVICES_OTHER_GENERAL_SERVICES",
            category=("Service", "Computers"),
            category_id="18012000",
            website="aws.amazon.com",
            **_ONLINE,
        ),
    ]


#: Every merchant, by key.
MERCHANTS: dict[str, Merchant] = {m.key: m for m in _merchants()}


def account_kind(account_type: str, subtype: str | None, name: str = "") -> str | None:
    """Classify an account for transaction generation; None for accounts without any.

    Plaid's transactions cover depository and credit accounts (not investment or loan).
    """
    if account_type == "credit":
        return "business_credit" if "business" in name.lower() else "credit"
    if account_type != "depository":
        return None
    return {
        "checking": "checking",
        "cash management": "cash",
        "savings": "savings",
        "money market": "savings",
        "cd": "cd",
        "hsa": "hsa",
    }.get(subtype or "", "checking")


#: Random (non-scheduled) transactions per day for each account kind.
RATES: dict[str, float] = {
    "checking": 0.7,
    "credit": 1.0,
    "business_credit": 0.3,
    "cash": 0.2,
    "savings": 0.05,
    "hsa": 0.05,
    "cd": 0.0,
}

#: Weighted merchants for the random transactions of each account kind.
SPENDING: dict[str, tuple[tuple[str, int], ...]] = {
    "checking": (
        ("whole_foods", 8),
        ("trader_joes", 8),
        ("starbucks", 10),
        ("mcdonalds", 5),
        ("kfc", 3),
        ("chipotle", 5),
        ("shell", 5),
        ("cvs", 3),
        ("amazon", 6),
        ("venmo", 4),
        ("atm", 3),
        ("uber", 4),
    ),
    "credit": (
        ("starbucks", 12),
        ("uber", 10),
        ("mcdonalds", 6),
        ("kfc", 4),
        ("chipotle", 6),
        ("sweetgreen", 5),
        ("tectra", 2),
        ("amazon", 10),
        ("sparkfun", 3),
        ("madison_bicycle", 1),
        ("united", 1),
        ("whole_foods", 6),
        ("shell", 4),
    ),
    "business_credit": (
        ("tectra", 4),
        ("united", 2),
        ("uber", 6),
        ("sparkfun", 3),
        ("aws", 3),
        ("starbucks", 4),
    ),
    "cash": (("venmo", 3), ("amazon", 2), ("atm", 1)),
    "savings": (("atm", 1),),
    "hsa": (("cvs", 3), ("walgreens", 2)),
    "cd": (),
}

#: Scheduled transactions: (merchant key, rule, value). Rules: ``monthly`` on day ``value``,
#: ``biweekly`` every 14 days from offset ``value``, ``initial`` once on the first day.
RECURRING: dict[str, tuple[tuple[str, str, int], ...]] = {
    "checking": (
        ("payroll", "biweekly", 4),
        ("rent", "monthly", 1),
        ("pge", "monthly", 12),
        ("comcast", "monthly", 18),
        ("cc_payment", "monthly", 25),
        ("to_savings", "monthly", 15),
    ),
    "credit": (
        ("touchstone", "monthly", 3),
        ("netflix", "monthly", 9),
        ("spotify", "monthly", 21),
        ("autopay", "monthly", 25),
    ),
    "business_credit": (("gsuite", "monthly", 1), ("autopay", "monthly", 26)),
    "cash": (("interest", "monthly", 28),),
    "savings": (("interest", "monthly", 28), ("from_checking", "monthly", 15)),
    "hsa": (("interest", "monthly", 28), ("hsa_contribution", "monthly", 5)),
    "cd": (("cd_deposit", "initial", 0), ("interest", "monthly", 28)),
}


def match_merchant(description: str) -> Merchant | None:
    """Find the merchant a free-text description names (case-insensitive), if any."""
    text = description.lower()
    for merchant in MERCHANTS.values():
        names = {merchant.name.lower()}
        if merchant.merchant_name:
            names.add(merchant.merchant_name.lower())
        if any(name in text for name in names):
            return merchant
    return None


def custom_merchant(description: str, amount: float, iso_currency_code: str = "USD") -> Merchant:
    """The merchant of a ``/sandbox/transactions/create`` transaction.

    A description naming a known merchant gets its enrichment (under the given
    description); anything else is an unrecognised counterparty with low confidence.
    """
    known = match_merchant(description)
    if known is not None:
        return replace(
            known, name=description, original_description=None, iso_currency_code=iso_currency_code
        )
    money_in = amount < 0
    return Merchant(
        key="custom",
        name=description,
        merchant_name=None,
        low=abs(amount),
        high=abs(amount),
        sign=-1 if money_in else 1,
        pfc_primary="TRANSFER_IN" if money_in else "GENERAL_MERCHANDISE",
        pfc_detailed=(
            "TRANSFER_IN_DEPOSIT" if money_in else "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE"
        ),
        pfc_confidence="LOW",
        payment_channel="other",
        counterparty_type=None,
        iso_currency_code=iso_currency_code,
    )
