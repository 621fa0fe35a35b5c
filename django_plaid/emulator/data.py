"""Sandbox reference data: Plaid's test institutions and the ``user_good`` accounts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "COUNTRY_CODES",
    "DEFAULT_INSTITUTION_ID",
    "INSTITUTIONS",
    "LANGUAGES",
    "LINKABLE_PRODUCTS",
    "USER_GOOD_ACCOUNTS",
    "AccountTemplate",
    "Institution",
    "accounts_for",
    "get_institution",
]

DEFAULT_INSTITUTION_ID = "ins_109508"

#: Link's supported ``language`` values.
LANGUAGES: frozenset[str] = frozenset(
    {"da", "de", "en", "es", "et", "fr", "hi", "it", "lt", "lv", "nl", "no", "pl", "pt", "ro"}
    | {"sv", "vi"}
)

#: Plaid's ``CountryCode`` enum.
COUNTRY_CODES: frozenset[str] = frozenset(
    {"US", "GB", "ES", "NL", "FR", "IE", "CA", "DE", "IT", "PL", "DK", "NO", "SE", "EE", "LT"}
    | {"LV", "PT", "BE", "AT", "FI"}
)

#: Product names Plaid accepts in ``products`` / ``initial_products`` (SDK 46's ``Products``
#: enum). ``balance`` is deliberately absent: it is implied, and listing it is an error.
LINKABLE_PRODUCTS: frozenset[str] = frozenset(
    {
        "assets",
        "auth",
        "balance_plus",
        "beacon",
        "identity",
        "identity_match",
        "investments",
        "investments_auth",
        "liabilities",
        "payment_initiation",
        "identity_verification",
        "transactions",
        "credit_details",
        "income",
        "income_verification",
        "standing_orders",
        "transfer",
        "employment",
        "recurring_transactions",
        "transactions_refresh",
        "signal",
        "statements",
        "processor_payments",
        "processor_identity",
        "profile",
        "cra_base_report",
        "cra_income_insights",
        "cra_partner_insights",
        "cra_network_insights",
        "cra_cashflow_insights",
        "cra_monitoring",
        "cra_lend_score",
        "cra_plaid_credit_score",
        "cra_qualify",
        "cra_home_lending",
        "layer",
        "pay_by_bank",
        "protect_linked_bank",
        "protect_transactions",
    }
)


@dataclass(frozen=True)
class Institution:
    """A sandbox institution as ``/institutions/get_by_id`` describes it."""

    institution_id: str
    name: str
    products: tuple[str, ...]
    country_codes: tuple[str, ...]
    routing_numbers: tuple[str, ...] = ()
    oauth: bool = False
    url: str | None = None
    primary_color: str | None = None
    dtc_numbers: tuple[str, ...] = ()
    #: Health shown by ``options.include_status``: HEALTHY, DEGRADED or DOWN.
    health: str = "HEALTHY"
    connection_availability: str = "SUPPORTED"
    #: Error code Link answers when a user tries to connect here (None = connects fine).
    link_error: str | None = None

    def to_dict(self, *, optional_metadata: bool = False, status: bool = False) -> dict[str, Any]:
        """Render Plaid's ``Institution`` object."""
        body: dict[str, Any] = {
            "institution_id": self.institution_id,
            "name": self.name,
            "products": list(self.products),
            "country_codes": list(self.country_codes),
            "routing_numbers": list(self.routing_numbers),
            "dtc_numbers": list(self.dtc_numbers),
            "oauth": self.oauth,
            "connection_availability": self.connection_availability,
        }
        if optional_metadata:
            # Plaid sends a base64 PNG logo; null is a documented value and keeps this small.
            body.update({"url": self.url, "primary_color": self.primary_color, "logo": None})
        if status:
            body["status"] = self._status()
        return body

    def _status(self) -> dict[str, Any]:
        success = {"HEALTHY": 0.99, "DEGRADED": 0.42, "DOWN": 0.0}[self.health]
        error_institution = round(1.0 - success - 0.01, 2)
        # A fixed date keeps responses deterministic; it only says when the health changed.
        breakdown: dict[str, float] = {
            "success": success,
            "error_plaid": 0.01,
            "error_institution": max(error_institution, 0.0),
        }
        product: dict[str, Any] = {
            "status": self.health,
            "last_status_change": "2024-01-01T00:00:00Z",
            "breakdown": breakdown,
        }
        updates = {**product, "breakdown": {**breakdown, "refresh_interval": "NORMAL"}}
        status: dict[str, Any] = {"item_logins": product}
        if "transactions" in self.products:
            status["transactions_updates"] = updates
        if "auth" in self.products:
            status["auth"] = product
        if "identity" in self.products:
            status["identity"] = product
        if "investments" in self.products:
            status["investments_updates"] = updates
            status["investments"] = product
        if "liabilities" in self.products:
            status["liabilities_updates"] = updates
            status["liabilities"] = product
        return status


# What a full-service US sandbox bank supports ("balance" is listed by institutions even
# though it may not be requested in Link).
_US_FULL = (
    "assets",
    "auth",
    "balance",
    "employment",
    "identity",
    "identity_match",
    "income_verification",
    "investments",
    "investments_auth",
    "liabilities",
    "recurring_transactions",
    "signal",
    "statements",
    "transactions",
    "transfer",
)
_US_BASIC = ("auth", "balance", "identity", "signal", "transactions")
_CA = ("assets", "auth", "balance", "identity", "investments", "liabilities", "transactions")
_UK = ("assets", "auth", "balance", "identity", "payment_initiation", "transactions")


def _institutions() -> list[Institution]:
    i = Institution
    # Routing numbers are ABA-checksum-valid; the first three are those Plaid's own
    # examples use for its sandbox banks.
    return [
        i(
            "ins_109508",
            "First Platypus Bank",
            _US_FULL,
            ("US",),
            ("011000138", "011200365", "011400495"),
            url="https://www.plaid.com",
            primary_color="#1f1f1f",
            dtc_numbers=("2236", "0955", "1367"),
        ),
        i(
            "ins_130016",
            "First Platypus Balance Bank",
            _US_BASIC,
            ("US",),
            ("021000322",),
            url="https://www.plaid.com",
            primary_color="#1f1f1f",
        ),
        i(
            "ins_109509",
            "First Gingham Credit Union",
            _US_FULL,
            ("US",),
            ("021101328",),
            url="https://www.plaid.com",
            primary_color="#1a5b9c",
        ),
        i(
            "ins_109510",
            "Tattersall Federal Credit Union",
            _US_FULL,
            ("US",),
            ("031000341",),
            url="https://www.plaid.com",
            primary_color="#2e7d32",
        ),
        i(
            "ins_109511",
            "Tartan Bank",
            _US_FULL,
            ("US",),
            ("041200982",),
            url="https://www.plaid.com",
            primary_color="#b71c1c",
        ),
        i(
            "ins_109512",
            "Houndstooth Bank",
            ("auth", "balance", "identity", "transactions"),
            ("US",),
            ("011000138", "011200365", "011400495"),
            url="https://www.plaid.com",
            primary_color="#37474f",
            dtc_numbers=("2236", "0955", "1367"),
        ),
        i(
            "ins_43",
            "Tartan-Dominion Bank of Canada",
            _CA,
            ("CA",),
            url="https://www.plaid.com",
            primary_color="#004c97",
        ),
        i(
            "ins_116834",
            "Flexible Platypus Open Banking",
            _UK,
            ("GB",),
            oauth=True,
            url="https://www.plaid.com",
            primary_color="#3d3d3d",
        ),
        i(
            "ins_117650",
            "Royal Bank of Plaid",
            _UK,
            ("GB",),
            oauth=True,
            url="https://www.plaid.com",
            primary_color="#0b2e59",
        ),
        i(
            "ins_127287",
            "Platypus OAuth Bank",
            _US_FULL,
            ("US",),
            ("053002107",),
            oauth=True,
            url="https://www.plaid.com",
            primary_color="#1f1f1f",
        ),
        i(
            "ins_132241",
            "First Platypus OAuth App2App Bank",
            _US_FULL,
            ("US",),
            ("061000418",),
            oauth=True,
            url="https://www.plaid.com",
            primary_color="#1f1f1f",
        ),
        i(
            "ins_117181",
            "Flexible Platypus Open Banking",
            _UK,
            ("GB",),
            oauth=True,
            url="https://www.plaid.com",
            primary_color="#3d3d3d",
        ),
        i(
            "ins_135858",
            "Windowpane Bank",
            ("auth", "balance", "identity", "transactions"),
            ("US",),
            ("071000916",),
            url="https://www.plaid.com",
            primary_color="#5d4037",
        ),
        i(
            "ins_132363",
            "Unhealthy Platypus Bank - Degraded",
            _US_BASIC,
            ("US",),
            ("091000213",),
            health="DEGRADED",
        ),
        i(
            "ins_132361",
            "Unhealthy Platypus Bank - Down",
            _US_BASIC,
            ("US",),
            ("121000248",),
            health="DOWN",
            link_error="INSTITUTION_DOWN",
        ),
        i(
            "ins_133402",
            "Unsupported Platypus Bank",
            _US_BASIC,
            ("US",),
            ("111000614",),
            connection_availability="NOT_SUPPORTED",
            link_error="INSTITUTION_NO_LONGER_SUPPORTED",
        ),
        i("ins_133502", "Platypus Bank RUX Auth", ("auth", "balance"), ("US",), ("261071577",)),
        i("ins_133503", "Platypus Bank RUX Match", ("auth", "balance"), ("US",), ("322172137",)),
    ]


#: Sandbox institutions by ``institution_id``.
INSTITUTIONS: Mapping[str, Institution] = {ins.institution_id: ins for ins in _institutions()}


def get_institution(institution_id: str) -> Institution | None:
    """Return the sandbox institution with this id, or None."""
    return INSTITUTIONS.get(institution_id)


@dataclass(frozen=True)
class AccountTemplate:
    """One of a sandbox persona's accounts, before an Item gives it an ``account_id``."""

    name: str
    mask: str
    type: str
    subtype: str
    official_name: str | None
    available: float | None
    current: float | None
    limit: float | None = None
    iso_currency_code: str = "USD"
    #: Products this account is eligible for beyond the "every account" products.
    products: frozenset[str] = field(default_factory=frozenset)


_AUTH = frozenset({"auth"})
_INVESTMENTS = frozenset({"investments", "investments_auth"})
_LIABILITIES = frozenset({"liabilities"})

#: ``user_good``'s twelve accounts, in Plaid's order (sandbox data table, plaid-api.md §8.3).
USER_GOOD_ACCOUNTS: tuple[AccountTemplate, ...] = (
    AccountTemplate(
        "Plaid Checking",
        "0000",
        "depository",
        "checking",
        "Plaid Gold Standard 0% Interest Checking",
        100,
        110,
        products=_AUTH,
    ),
    AccountTemplate(
        "Plaid Saving",
        "1111",
        "depository",
        "savings",
        "Plaid Silver Standard 0.1% Interest Saving",
        200,
        210,
        products=_AUTH,
    ),
    AccountTemplate(
        "Plaid CD", "2222", "depository", "cd", "Plaid Bronze Standard 0.2% Interest CD", None, 1000
    ),
    AccountTemplate(
        "Plaid Credit Card",
        "3333",
        "credit",
        "credit card",
        "Plaid Diamond 12.5% APR Interest Credit Card",
        None,
        410,
        2000,
        products=_LIABILITIES,
    ),
    AccountTemplate(
        "Plaid Money Market",
        "4444",
        "depository",
        "money market",
        "Plaid Platinum Standard 1.85% Interest Money Market",
        43200,
        43200,
    ),
    AccountTemplate(
        "Plaid IRA", "5555", "investment", "ira", None, None, 320.76, products=_INVESTMENTS
    ),
    AccountTemplate(
        "Plaid 401k", "6666", "investment", "401k", None, None, 23631.9805, products=_INVESTMENTS
    ),
    AccountTemplate(
        "Plaid Student Loan", "7777", "loan", "student", None, None, 65262, products=_LIABILITIES
    ),
    AccountTemplate(
        "Plaid Mortgage", "8888", "loan", "mortgage", None, None, 56302.06, products=_LIABILITIES
    ),
    AccountTemplate(
        "Plaid HSA",
        "9001",
        "depository",
        "hsa",
        "Plaid Cares Health Savings Account",
        6009,
        6009,
    ),
    AccountTemplate(
        "Plaid Cash Management",
        "9002",
        "depository",
        "cash management",
        "Plaid Growth Cash Management",
        12060,
        12060,
        products=_AUTH,
    ),
    AccountTemplate(
        "Plaid Business Credit Card",
        "9999",
        "credit",
        "credit card",
        "Plaid Platinum Small Business Credit Card",
        4980,
        5020,
        10000,
        products=_LIABILITIES,
    ),
)

# Products that restrict an Item to the accounts eligible for them; any other product
# (transactions, identity, assets, ...) sees every account, as in Plaid's sandbox.
_RESTRICTING_PRODUCTS = frozenset({"auth"}) | _INVESTMENTS | _LIABILITIES


def accounts_for(
    products: Iterable[str],
    account_filters: Mapping[str, Any] | None = None,
    templates: Sequence[AccountTemplate] = USER_GOOD_ACCOUNTS,
) -> list[AccountTemplate]:
    """Pick the accounts an Item gets for ``products``, narrowed by Link ``account_filters``.

    An account is kept when at least one product wants it: an unrestricted product
    (transactions, identity, ...) wants every account, ``auth`` wants checking, savings and
    cash management, investments the investment accounts, liabilities credit and loans.
    """
    wanted = set(products)
    takes_all = bool(wanted - _RESTRICTING_PRODUCTS)
    chosen = [t for t in templates if takes_all or (wanted & t.products)]
    if account_filters:
        # Link hides every account type that has no filter once any filter is given.
        def allowed(template: AccountTemplate) -> bool:
            rule = account_filters.get(template.type)
            if not isinstance(rule, Mapping):
                return False
            subtypes = rule.get("account_subtypes") or []
            return "all" in subtypes or template.subtype in subtypes

        chosen = [t for t in chosen if allowed(t)]
    return chosen
