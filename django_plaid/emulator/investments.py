"""Investments data: securities, each Item's holdings and its investment transactions.

Securities are global, as at Plaid: the same ``security_id`` in every Item. The catalogue
is a realistic mix and renders all 22 keys of plaid-python's ``Security`` (nulls where a
field does not apply): US dollar cash (``CUR:USD``, ``is_cash_equivalent``), equities
(Achillion Pharmaceuticals ``ACHN``, Southside Bancshares ``SBSI``, Netflix ``NFLX``), an
ETF (iShares MSCI Brazil ``EWZ``), two mutual funds, a US Treasury note with its
``fixed_income`` object, a Netflix call option with its ``option_contract``, and Bitcoin
(``cryptocurrency``). CUSIPs and ISINs carry valid check digits; the FIGIs and the
funds' CUSIPs are illustrative, not looked up.

Holdings (``user_good``): the IRA (mask 5555) and the 401k (mask 6666); each account's
holdings add up exactly to its ``balances.current`` (320.76 and 23631.9805). 401k holdings
carry ``vested_quantity``/``vested_value`` (one fund is partly unvested), IRA ones null.
Other investment accounts hold their balance in cash.

Investment transactions: about 220 over 24 months before the Item was created, generated
from a seed of the item_id (the same Item always gets the same history): contributions,
buys, sells, dividends (and a reinvestment), interest, account and management fees, and a
transfer in, each with Plaid's ``type``/``subtype`` and sign convention (``amount``
positive when cash leaves the account, ``quantity`` negative for sells).
``InvestmentBook.add_dividend()`` adds one more (what ``/sandbox/item/fire_webhook``'s
``INVESTMENTS_TRANSACTIONS``/``DEFAULT_UPDATE`` announces).
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from . import ids

__all__ = [
    "HOLDINGS",
    "INVESTMENT_TYPES",
    "SECURITIES",
    "HoldingTemplate",
    "InvestmentAccount",
    "InvestmentBook",
    "InvestmentTransaction",
    "Security",
    "isin_for",
]

#: Account types ``/investments/*`` serve.
INVESTMENT_TYPES = frozenset({"investment", "brokerage"})

_ALPHANUMERIC = string.ascii_letters + string.digits


class InvestmentAccount(Protocol):
    """What a book reads of an Item's account (``records.Account``, never imported here)."""

    @property
    def account_id(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def mask(self) -> str | None: ...

    @property
    def current(self) -> float | None: ...


def _cusip_check(base: str) -> str:
    """The check digit of an 8-character CUSIP base."""
    total = 0
    for position, char in enumerate(base):
        value = int(char) if char.isdigit() else ord(char.upper()) - ord("A") + 10
        if position % 2:
            value *= 2
        total += value // 10 + value % 10
    return str((10 - total % 10) % 10)


def isin_for(cusip: str, country: str = "US") -> str:
    """The ISIN of a US CUSIP (Luhn check digit over the letters-as-numbers string)."""
    digits = "".join(str(int(char, 36)) for char in country + cusip)
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
        total += value // 10 + value % 10
    return f"{country}{cusip}{(10 - total % 10) % 10}"


@dataclass(frozen=True)
class Security:
    """One security of the catalogue (``cusip_base`` is the CUSIP without its check digit)."""

    key: str
    name: str
    ticker_symbol: str | None
    type: str
    subtype: str | None
    close_price: float
    cusip_base: str | None = None
    is_cash_equivalent: bool = False
    market_identifier_code: str | None = None
    sector: str | None = None
    industry: str | None = None
    cfi_code: str | None = None
    figi: str | None = None
    option_contract: dict[str, Any] | None = None
    fixed_income: dict[str, Any] | None = None

    @property
    def security_id(self) -> str:
        """The security's id, the same in every Item (as at Plaid)."""
        return ids.stable_id(f"security:{self.key}")

    @property
    def cusip(self) -> str | None:
        """The full 9-character CUSIP, or None."""
        if self.cusip_base is None:
            return None
        return self.cusip_base + _cusip_check(self.cusip_base)

    def to_dict(self, as_of: date) -> dict[str, Any]:
        """Render plaid-python's ``Security`` (every required key) priced as of ``as_of``."""
        cusip = self.cusip
        return {
            "security_id": self.security_id,
            "isin": isin_for(cusip) if cusip else None,
            "cusip": cusip,
            "sedol": None,
            "institution_security_id": None,
            "institution_id": None,
            "proxy_security_id": None,
            "name": self.name,
            "ticker_symbol": self.ticker_symbol,
            "is_cash_equivalent": self.is_cash_equivalent,
            "type": self.type,
            "subtype": self.subtype,
            "close_price": self.close_price,
            # Cash has no market close.
            "close_price_as_of": None if self.type == "cash" else as_of.isoformat(),
            "update_datetime": None,
            "iso_currency_code": "USD",
            "unofficial_currency_code": None,
            "market_identifier_code": self.market_identifier_code,
            "sector": self.sector,
            "industry": self.industry,
            "cfi_code": self.cfi_code,
            "figi": self.figi,
            "option_contract": dict(self.option_contract) if self.option_contract else None,
            "fixed_income": _copy_fixed_income(self.fixed_income),
        }


def _copy_fixed_income(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {**value, "yield_rate": dict(value["yield_rate"])}


_S = Security
#: The security catalogue, by key.
SECURITIES: dict[str, Security] = {
    s.key: s
    for s in (
        _S("cash", "U S Dollar", "CUR:USD", "cash", "cash", 1.0, is_cash_equivalent=True),
        _S(
            "achn",
            "Achillion Pharmaceuticals Inc.",
            "ACHN",
            "equity",
            "common stock",
            2.10,
            "00448Q20",
            market_identifier_code="XNAS",
            sector="Health Technology",
            industry="Major Pharmaceuticals",
            cfi_code="ESVUFR",
            figi="BBG000BKGPR6",
        ),
        _S(
            "sbsi",
            "Southside Bancshares Inc.",
            "SBSI",
            "equity",
            "common stock",
            33.89,
            "84470P10",
            market_identifier_code="XNAS",
            sector="Finance",
            industry="Regional Banks",
            cfi_code="ESVUFR",
            figi="BBG000BF5ZL6",
        ),
        _S(
            "nflx",
            "Netflix Inc.",
            "NFLX",
            "equity",
            "common stock",
            612.04,
            "64110L10",
            market_identifier_code="XNAS",
            sector="Technology Services",
            industry="Internet Software/Services",
            cfi_code="ESVUFR",
            figi="BBG000CL9VN6",
        ),
        _S(
            "ewz",
            "iShares Inc MSCI Brazil",
            "EWZ",
            "etf",
            "etf",
            41.32,
            "46428640",
            market_identifier_code="ARCX",
            sector="Miscellaneous",
            industry="Investment Trusts/Mutual Funds",
            cfi_code="CEOGEU",
            figi="BBG000BJL2C3",
        ),
        _S(
            "camyx",
            "Cambiar International Equity Institutional",
            "CAMYX",
            "mutual fund",
            "mutual fund",
            29.37,
            "74316J50",
            cfi_code="EUOMSU",
        ),
        _S(
            "miptx",
            "Matthews Pacific Tiger Fund Insti Class",
            "MIPTX",
            "mutual fund",
            "mutual fund",
            27.13,
            "57712581",
            cfi_code="EUOMSU",
        ),
        _S(
            "ust",
            "United States Treasury Note 4.250% 11/15/2034",
            None,
            "fixed income",
            "bond",
            98.75,
            "91282CLW",
            cfi_code="DBFTFB",
            fixed_income={
                "yield_rate": {"percentage": 4.25, "type": "coupon"},
                "maturity_date": "2034-11-15",
                "issue_date": "2024-11-15",
                "face_value": 100.0,
            },
        ),
        _S(
            "nflx_call",
            "NFLX Dec 15 2028 $700 Call",
            "NFLX281215C00700000",
            "derivative",
            "option",
            1.59,
            cfi_code="OCASPS",
            option_contract={
                "contract_type": "call",
                "expiration_date": "2028-12-15",
                "strike_price": 700.0,
                "underlying_security_ticker": "NFLX",
            },
        ),
        _S(
            "btc",
            "Bitcoin",
            "BTC",
            "cryptocurrency",
            "cryptocurrency",
            43000.0,
        ),
    )
}


@dataclass(frozen=True)
class HoldingTemplate:
    """One ``user_good`` holding: account (by mask), security, quantity and cost."""

    mask: str
    security: str
    quantity: float
    cost_basis: float | None
    #: Vested part (401k); None where vesting does not apply.
    vested_quantity: float | None = None


_H = HoldingTemplate
#: ``user_good``'s holdings; each account's values add up to its current balance.
HOLDINGS: tuple[HoldingTemplate, ...] = (
    # Plaid IRA (5555): 12.76 + 86.00 + 63.00 + 159.00 = 320.76
    _H("5555", "cash", 12.76, 12.76),
    _H("5555", "btc", 0.002, 61.5),
    _H("5555", "achn", 30.0, 84.3),
    _H("5555", "nflx_call", 100.0, 122.65),
    # Plaid 401k (6666): 6198 + 5874 + 2713 + 1975 + 3389 + 3482.9805 = 23631.9805
    _H("6666", "ewz", 150.0, 5850.0, 150.0),
    _H("6666", "camyx", 200.0, 5120.4, 150.0),
    _H("6666", "miptx", 100.0, 2604.1, 100.0),
    _H("6666", "ust", 20.0, 1990.0, 20.0),
    _H("6666", "sbsi", 100.0, 3110.0, 100.0),
    _H("6666", "cash", 3482.9805, 3482.9805, 3482.9805),
)


def _money(value: float, places: int = 2) -> float:
    # Rounded, and never -0.0 (which JSON would show as "-0.0").
    return round(value, places) + 0.0


class InvestmentTransaction:
    """One investment transaction (immutable once made)."""

    __slots__ = (
        "account_id",
        "amount",
        "date",
        "fees",
        "investment_transaction_id",
        "name",
        "price",
        "quantity",
        "security_id",
        "subtype",
        "type",
    )

    def __init__(
        self,
        investment_transaction_id: str,
        account_id: str,
        day: date,
        name: str,
        type: str,
        subtype: str,
        security_id: str | None,
        quantity: float,
        price: float,
        amount: float,
        fees: float | None,
    ) -> None:
        self.investment_transaction_id = investment_transaction_id
        self.account_id = account_id
        self.date = day
        self.name = name
        self.type = type
        self.subtype = subtype
        self.security_id = security_id
        self.quantity = quantity
        self.price = price
        self.amount = amount
        self.fees = fees

    def to_dict(self) -> dict[str, Any]:
        """Render plaid-python's ``InvestmentTransaction`` (every required key)."""
        return {
            "investment_transaction_id": self.investment_transaction_id,
            "account_id": self.account_id,
            "security_id": self.security_id,
            "date": self.date.isoformat(),
            "transaction_datetime": None,
            "name": self.name,
            "quantity": self.quantity,
            "amount": self.amount,
            "price": self.price,
            "fees": self.fees,
            "type": self.type,
            "subtype": self.subtype,
            "iso_currency_code": "USD",
            "unofficial_currency_code": None,
            "cancel_transaction_id": None,
        }


class InvestmentBook:
    """An Item's holdings and investment transactions (newest first)."""

    def __init__(self, item_id: str, accounts: Sequence[InvestmentAccount], created: date) -> None:
        self.item_id = item_id
        self.accounts = [a for a in accounts if a.type in INVESTMENT_TYPES]
        self.created = created
        # Seeded by the Item: reproducible data, not secrets.
        self.rng = random.Random(f"investments:{item_id}")  # noqa: S311
        self.transactions: list[InvestmentTransaction] = []
        for account in self.accounts:
            self._history(account)
        self._sort()

    @classmethod
    def restored(
        cls,
        item_id: str,
        accounts: Sequence[InvestmentAccount],
        created: date,
        transactions: list[InvestmentTransaction],
        rng_state: tuple[Any, ...],
    ) -> InvestmentBook:
        """A book as it was saved (by the emulator's state file), without generating it."""
        book = cls.__new__(cls)
        book.item_id = item_id
        book.accounts = [a for a in accounts if a.type in INVESTMENT_TYPES]
        book.created = created
        book.rng = random.Random()  # noqa: S311
        book.rng.setstate(rng_state)
        book.transactions = transactions
        book._sort()
        return book

    # -- holdings -------------------------------------------------------------------------------

    def holdings(
        self, as_of: date, account_ids: Iterable[str] | None = None
    ) -> list[dict[str, Any]]:
        """``Holding`` dicts of the (chosen) accounts, priced as of ``as_of``."""
        wanted = None if account_ids is None else set(account_ids)
        rows = []
        for account in self.accounts:
            if wanted is not None and account.account_id not in wanted:
                continue
            templates = [h for h in HOLDINGS if h.mask == account.mask]
            if not templates:
                # An unknown investment account keeps its whole balance in cash.
                cash = float(account.current or 0.0)
                templates = [HoldingTemplate(account.mask or "", "cash", cash, cash)]
            for template in templates:
                rows.append(_holding(account.account_id, template, as_of))
        return rows

    # -- transactions ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.transactions)

    def between(
        self, start: date, end: date, account_ids: Iterable[str] | None = None
    ) -> list[InvestmentTransaction]:
        """Transactions dated ``start``..``end`` (inclusive), newest first."""
        wanted = None if account_ids is None else set(account_ids)
        return [
            t
            for t in self.transactions
            if start <= t.date <= end and (wanted is None or t.account_id in wanted)
        ]

    def add_dividend(self, day: date) -> InvestmentTransaction | None:
        """Add a cash dividend dated ``day`` to the first account holding a security."""
        for account in self.accounts:
            held = [h for h in HOLDINGS if h.mask == account.mask and h.security != "cash"]
            if held:
                security = SECURITIES[held[0].security]
                txn = self._make(
                    account,
                    day,
                    f"DIVIDEND RECEIVED {security.name}",
                    "cash",
                    "dividend",
                    security,
                    0.0,
                    0.0,
                    -_money(self.rng.uniform(20, 90)),
                    0.0,
                )
                self.transactions.append(txn)
                self._sort()
                return txn
        return None

    def _sort(self) -> None:
        self.transactions.sort(key=lambda t: (t.date, t.investment_transaction_id), reverse=True)

    def _make(
        self,
        account: InvestmentAccount,
        day: date,
        name: str,
        type: str,
        subtype: str,
        security: Security | None,
        quantity: float,
        price: float,
        amount: float,
        fees: float | None,
    ) -> InvestmentTransaction:
        return InvestmentTransaction(
            "".join(self.rng.choices(_ALPHANUMERIC, k=37)),
            account.account_id,
            day,
            name,
            type,
            subtype,
            security.security_id if security else None,
            quantity + 0.0,
            price + 0.0,
            amount + 0.0,
            fees,
        )

    def _price(self, security: Security, days_back: int) -> float:
        """The security's price ``days_back`` days before creation: a drift plus noise."""
        if security.type == "cash":
            return 1.0
        factor = 1.0 - 0.12 * days_back / 730 + self.rng.uniform(-0.03, 0.03)
        return _money(security.close_price * factor)

    def _history(self, account: InvestmentAccount) -> None:
        """Generate 24 months of the account's activity (401k and IRA patterns)."""
        rng = self.rng
        cash = SECURITIES["cash"]
        out = self.transactions

        def day(days_back: int) -> date:
            return self.created - timedelta(days=days_back)

        def cash_move(days_back: int, name: str, subtype: str, amount: float) -> None:
            # Cash movements: the cash security, one unit per dollar.
            out.append(
                self._make(
                    account,
                    day(days_back),
                    name,
                    "cash",
                    subtype,
                    cash,
                    abs(amount),
                    1.0,
                    amount,
                    0.0,
                )
            )

        def trade(days_back: int, key: str, spend: float, *, sell: bool = False) -> None:
            security = SECURITIES[key]
            price = self._price(security, days_back)
            quantity = _money(spend / price, 4)
            gross = _money(quantity * price)
            fees = 0.65 if security.type == "derivative" else 0.0
            if sell:
                out.append(
                    self._make(
                        account,
                        day(days_back),
                        f"SELL {security.name}",
                        "sell",
                        "sell",
                        security,
                        -quantity,
                        price,
                        _money(-gross + fees),
                        fees,
                    )
                )
            else:
                out.append(
                    self._make(
                        account,
                        day(days_back),
                        f"BUY {security.name}",
                        "buy",
                        "buy",
                        security,
                        quantity,
                        price,
                        _money(gross + fees),
                        fees,
                    )
                )

        def fee(days_back: int, name: str, subtype: str, amount: float) -> None:
            out.append(
                self._make(
                    account, day(days_back), name, "fee", subtype, None, 0.0, 0.0, amount, 0.0
                )
            )

        def dividend(days_back: int, key: str, amount: float) -> None:
            security = SECURITIES[key]
            out.append(
                self._make(
                    account,
                    day(days_back),
                    f"DIVIDEND RECEIVED {security.name}",
                    "cash",
                    "dividend",
                    security,
                    0.0,
                    0.0,
                    -amount,
                    0.0,
                )
            )

        if account.mask == "6666":  # Plaid 401k
            funds = ("ewz", "camyx", "miptx", "ust", "sbsi")
            for month in range(24):
                base = month * 30
                cash_move(base + 1, "CONTRIBUTION", "contribution", -250.0)
                cash_move(base + 15, "EMPLOYER MATCH CONTRIBUTION", "contribution", -125.0)
                trade(base + 3, rng.choice(funds), rng.uniform(150, 260))
                trade(base + 17, rng.choice(funds), rng.uniform(80, 140))
                cash_move(
                    base + 28, "INTEREST ON CASH BALANCE", "interest", -_money(rng.uniform(3, 12))
                )
                if month % 3 == 0:
                    for key in ("ewz", "camyx", "miptx", "sbsi"):
                        dividend(base + 10, key, _money(rng.uniform(20, 90)))
                    # EWZ's dividends are reinvested.
                    ewz = SECURITIES["ewz"]
                    price = self._price(ewz, base + 10)
                    spend = _money(rng.uniform(20, 40))
                    out.append(
                        self._make(
                            account,
                            day(base + 10),
                            f"DIVIDEND REINVESTMENT {ewz.name}",
                            "buy",
                            "dividend reinvestment",
                            ewz,
                            _money(spend / price, 4),
                            price,
                            spend,
                            0.0,
                        )
                    )
                    fee(base + 25, "MANAGEMENT FEE", "management fee", _money(rng.uniform(8, 15)))
                if month % 6 == 0:
                    # Semiannual coupon of the Treasury note: 20 x 100 x 4.25% / 2.
                    ust = SECURITIES["ust"]
                    out.append(
                        self._make(
                            account,
                            day(base + 12),
                            f"INTEREST {ust.name}",
                            "cash",
                            "interest",
                            ust,
                            0.0,
                            0.0,
                            -42.5,
                            0.0,
                        )
                    )
                if month in (5, 17):
                    fee(base + 20, "ANNUAL ACCOUNT FEE", "account fee", 25.0)
                if month in (4, 10, 19):
                    trade(base + 8, rng.choice(funds), rng.uniform(200, 400), sell=True)
                if month == 20:
                    sbsi = SECURITIES["sbsi"]
                    out.append(
                        self._make(
                            account,
                            day(base + 6),
                            f"TRANSFER IN {sbsi.name}",
                            "transfer",
                            "transfer",
                            sbsi,
                            40.0,
                            self._price(sbsi, base + 6),
                            0.0,
                            0.0,
                        )
                    )
        elif account.mask == "5555":  # Plaid IRA
            for month in range(24):
                base = month * 30
                cash_move(base + 5, "IRA CONTRIBUTION", "contribution", -25.0)
                if month % 2 == 0:
                    trade(base + 7, rng.choice(("achn", "btc")), rng.uniform(15, 40))
                if month in (3, 15):
                    fee(base + 9, "IRA ACCOUNT FEE", "account fee", 15.0)
            trade(22 * 30 + 4, "nflx", 1250.0)
            trade(16 * 30 + 4, "nflx", 600.0, sell=True)
            trade(14 * 30 + 11, "nflx_call", 120.0)
            trade(8 * 30 + 4, "nflx", 640.0, sell=True)
        else:
            # An unknown investment account: monthly deposits only.
            for month in range(24):
                cash_move(month * 30 + 2, "DEPOSIT", "deposit", -100.0)


def _holding(account_id: str, template: HoldingTemplate, as_of: date) -> dict[str, Any]:
    security = SECURITIES[template.security]
    price = security.close_price
    places = 4 if template.security == "cash" else 2
    value = _money(template.quantity * price, places)
    vested_value = (
        None
        if template.vested_quantity is None
        else _money(template.vested_quantity * price, places)
    )
    return {
        "account_id": account_id,
        "security_id": security.security_id,
        "institution_price": price,
        "institution_price_as_of": as_of.isoformat(),
        "institution_price_datetime": None,
        "institution_value": value,
        "cost_basis": template.cost_basis,
        "quantity": template.quantity,
        "iso_currency_code": "USD",
        "unofficial_currency_code": None,
        "vested_quantity": template.vested_quantity,
        "vested_value": vested_value,
    }
