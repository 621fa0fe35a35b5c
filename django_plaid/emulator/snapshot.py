"""The emulator's whole state as JSON text, and back: what its state file holds.

``Snapshotter.take(state)`` renders an ``EmulatorState`` (Items with their accounts,
ledgers and investments, link and public tokens, Link sessions, users, webhook signing
keys, webhooks still to deliver, faults, the clock's offset); ``restore(state, data)``
puts a parsed one back. The text is JSON, one top-level section a line::

    {"format":"dj-plaid-emulator-state","version":1,
    "items":[...],
    "ledgers":{"<item_id>":{...}},
    ...}

Plain values keep their type through small tags: ``{"$datetime": "..."}``,
``{"$date": ...}``, ``{"$set": [...]}``, ``{"$tuple": [...]}`` (and ``{"$dict": {...}}``
for a dict that would look like a tag). Records (dataclasses) are objects keyed by
field name: a field the file lacks takes its default, one the code does not know makes
the file incompatible.

Ledgers: a history ``populate`` generated is stored as its arguments plus a digest
(``LedgerOrigin``) and rebuilt on restore, since generation is deterministic; only what
came after it is stored row by row: the log entries since, and the transactions they
touch as they are now. A ledger's text is cached until the ledger changes, so a large
ledger costs nothing to the snapshots that follow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from .data import INSTITUTIONS, Institution
from .errors import PlaidErrorResponse
from .income import PAYROLL_INSTITUTIONS
from .investments import InvestmentBook, InvestmentTransaction
from .ledger import ADD, LedgerAccount, LedgerOrigin, Transaction, TransactionLedger
from .merchants import MERCHANTS, Merchant
from .mfa import MfaChallenge, MfaQuestion
from .records import Account, Item, LinkSession, LinkToken, PublicToken, User

if TYPE_CHECKING:
    from .state import EmulatorState

__all__ = ["FORMAT", "VERSION", "PendingWebhook", "SnapshotError", "Snapshotter", "restore"]

#: The ``format`` key of every state file, and the version of its layout.
FORMAT = "dj-plaid-emulator-state"
VERSION = 1

#: A webhook still to deliver: (url, payload).
PendingWebhook = tuple[str, dict[str, Any]]

_T = TypeVar("_T")
_TAGS = frozenset({"$datetime", "$date", "$set", "$tuple", "$dict"})
_MERCHANT_DERIVED = frozenset({"fragment", "fragment_original"})


class SnapshotError(ValueError):
    """The data is not a state this code can restore (damaged, or another version's)."""


# -- plain values ---------------------------------------------------------------------------


def encode_value(value: Any) -> Any:
    """``value`` as JSON-ready data, tagging what JSON has no type for."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted((encode_value(v) for v in value), key=json.dumps)}
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        encoded = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"cannot save a dict key of type {type(key).__name__}")
            encoded[key] = encode_value(item)
        if len(encoded) == 1 and next(iter(encoded)) in _TAGS:
            return {"$dict": encoded}
        return encoded
    raise TypeError(f"cannot save a {type(value).__name__} in the emulator's state file")


def decode_value(data: Any) -> Any:
    """The value ``encode_value`` made ``data`` from."""
    if isinstance(data, list):
        return [decode_value(v) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1:
        tag, inner = next(iter(data.items()))
        if tag == "$datetime":
            return datetime.fromisoformat(inner)
        if tag == "$date":
            return date.fromisoformat(inner)
        if tag == "$set":
            return {decode_value(v) for v in inner}
        if tag == "$tuple":
            return tuple(decode_value(v) for v in inner)
        if tag == "$dict":
            return {key: decode_value(v) for key, v in inner.items()}
    return {key: decode_value(v) for key, v in data.items()}


# -- records --------------------------------------------------------------------------------


def encode_record(
    obj: Any,
    custom: Mapping[str, Callable[[Any], Any]] | None = None,
    exclude: Iterable[str] = (),
) -> dict[str, Any]:
    """A dataclass instance as a dict of its fields (``custom`` encoders by field name)."""
    custom = custom or {}
    skip = set(exclude)
    result = {}
    for spec in fields(obj):
        if spec.name in skip:
            continue
        value = getattr(obj, spec.name)
        encoder = custom.get(spec.name)
        result[spec.name] = encoder(value) if encoder else encode_value(value)
    return result


def decode_record(
    cls: type[_T],
    data: Any,
    custom: Mapping[str, Callable[[Any], Any]] | None = None,
    **given: Any,
) -> _T:
    """The ``cls`` instance ``encode_record`` made ``data`` from (``given``: extra fields)."""
    assert is_dataclass(cls)
    if not isinstance(data, dict):
        raise SnapshotError(f"a {cls.__name__} is not an object")
    known = {spec.name for spec in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise SnapshotError(
            f"a {cls.__name__} has fields this version does not know: " + ", ".join(sorted(unknown))
        )
    custom = custom or {}
    kwargs = dict(given)
    for name, value in data.items():
        decoder = custom.get(name)
        kwargs[name] = decoder(value) if decoder else decode_value(value)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise SnapshotError(f"a {cls.__name__} is incomplete: {exc}") from None


def _encode_institution(institution: Institution) -> Any:
    registry = (
        PAYROLL_INSTITUTIONS
        if institution.institution_id in PAYROLL_INSTITUTIONS
        else (INSTITUTIONS)
    )
    if registry.get(institution.institution_id) is institution:
        return institution.institution_id
    return encode_record(institution)


def _decode_institution(data: Any) -> Institution:
    if isinstance(data, str):
        found = INSTITUTIONS.get(data) or PAYROLL_INSTITUTIONS.get(data)
        if found is None:
            raise SnapshotError(f"unknown institution {data!r}")
        return found
    return decode_record(Institution, data)


def _encode_error(error: PlaidErrorResponse | None) -> Any:
    if error is None:
        return None
    return {
        "error_code": error.error_code,
        "error_type": error.error_type,
        "http_status": error.http_status,
        "error_message": error.error_message,
        "display_message": error.display_message,
        "error_code_reason": error.error_code_reason,
        "suggested_action": error.suggested_action,
    }


def _decode_error(data: Any) -> PlaidErrorResponse | None:
    if data is None:
        return None
    return PlaidErrorResponse(
        data["error_code"],
        data["error_message"],
        error_type=data["error_type"],
        http_status=data["http_status"],
        display_message=data["display_message"],
        error_code_reason=data["error_code_reason"],
        suggested_action=data["suggested_action"],
    )


def _encode_mfa(mfa: MfaChallenge | None) -> Any:
    if mfa is None:
        return None
    return {
        "mfa_type": mfa.mfa_type,
        "rounds": [[[q.text, q.answer, list(q.choices)] for q in round_] for round_ in mfa.rounds],
    }


def _decode_mfa(data: Any) -> MfaChallenge | None:
    if data is None:
        return None
    rounds = tuple(
        tuple(MfaQuestion(text, answer, tuple(choices)) for text, answer, choices in round_)
        for round_ in data["rounds"]
    )
    return MfaChallenge(data["mfa_type"], rounds)


def _encode_investments(book: InvestmentBook | None) -> Any:
    if book is None:
        return None
    return {
        "created": book.created.isoformat(),
        "rng": encode_value(book.rng.getstate()),
        "transactions": [
            [
                t.investment_transaction_id,
                t.account_id,
                t.date.isoformat(),
                t.name,
                t.type,
                t.subtype,
                t.security_id,
                t.quantity,
                t.price,
                t.amount,
                t.fees,
            ]
            for t in book.transactions
        ],
    }


def _decode_investments(item: Item, data: Any) -> InvestmentBook | None:
    if data is None:
        return None
    transactions = [
        InvestmentTransaction(
            row[0],
            row[1],
            date.fromisoformat(row[2]),
            *row[3:],
        )
        for row in data["transactions"]
    ]
    return InvestmentBook.restored(
        item.item_id,
        item.accounts,
        date.fromisoformat(data["created"]),
        transactions,
        decode_value(data["rng"]),
    )


def _encode_item(item: Item) -> dict[str, Any]:
    return encode_record(
        item,
        {
            "institution": _encode_institution,
            "accounts": lambda accounts: [encode_record(a) for a in accounts],
            "investments": _encode_investments,
        },
        exclude=("ledger",),
    )


def _decode_item(data: Any) -> Item:
    if not isinstance(data, dict):
        raise SnapshotError("an Item is not an object")
    data = dict(data)
    investments = data.pop("investments", None)
    item = decode_record(
        Item,
        data,
        {
            "institution": _decode_institution,
            "accounts": lambda rows: [decode_record(Account, row) for row in rows],
        },
    )
    item.investments = _decode_investments(item, investments)
    return item


def _encode_session(session: LinkSession) -> dict[str, Any]:
    return encode_record(session, {"mfa": _encode_mfa, "error": _encode_error})


def _decode_session(data: Any) -> LinkSession:
    return decode_record(LinkSession, data, {"mfa": _decode_mfa, "error": _decode_error})


# -- ledgers --------------------------------------------------------------------------------


def _encode_merchant(merchant: Merchant) -> Any:
    if MERCHANTS.get(merchant.key) is merchant:
        return merchant.key
    return {
        spec.name: encode_value(getattr(merchant, spec.name))
        for spec in fields(merchant)
        if spec.name not in _MERCHANT_DERIVED
    }


def _decode_merchant(data: Any) -> Merchant:
    if isinstance(data, str):
        found = MERCHANTS.get(data)
        if found is None:
            raise SnapshotError(f"unknown merchant {data!r}")
        return found
    return decode_record(Merchant, data)


def _ledger_body(ledger: TransactionLedger) -> str:
    """The JSON text of what changes only with the ledger's log (cached by the caller)."""
    kinds, refs = ledger.log()
    origin = ledger.origin
    start = origin.length if origin is not None else 0
    # A transaction's identity in the file: the log position that added it.
    position: dict[int, int] = {}
    for index, kind in enumerate(kinds):
        if kind == ADD:
            position[id(refs[index])] = index
    tail = [position[id(txn)] for txn in refs[start:]]
    merchants: dict[int, int] = {}
    merchant_data: list[Any] = []
    rows = []
    for pos in sorted(set(tail)):
        txn = refs[pos]
        slot = merchants.get(id(txn.merchant))
        if slot is None:
            slot = merchants[id(txn.merchant)] = len(merchant_data)
            merchant_data.append(_encode_merchant(txn.merchant))
        rows.append(
            [
                pos,
                txn.transaction_id,
                txn.account_id,
                txn.amount,
                txn.date,
                txn.authorized_date,
                slot,
                txn.pending,
                txn.pending_transaction_id,
                txn.clock,
                txn.removed,
            ]
        )
    body = {
        "item_id": ledger.item_id,
        "epoch": ledger.epoch,
        "version": ledger.version,
        "accounts": [[a.account_id, a.type, a.subtype, a.name] for a in ledger.accounts],
        "origin": None
        if origin is None
        else {
            "today": origin.today.isoformat(),
            "days": origin.days,
            "count": origin.count,
            "extra_pending": origin.extra_pending,
            "length": origin.length,
            "digest": origin.digest,
        },
        "merchants": merchant_data,
        "rows": rows,
        "kinds": kinds[start:].hex(),
        "refs": tail,
    }
    return json.dumps(body, separators=(",", ":"))


def _decode_ledger(data: Any) -> TransactionLedger:
    accounts = [LedgerAccount(*row) for row in data["accounts"]]
    ledger = TransactionLedger(data["item_id"], accounts, epoch=data["epoch"])
    origin_data = data["origin"]
    objects: dict[int, Transaction] = {}
    origin: LedgerOrigin | None = None
    kinds: bytes = b""
    refs: list[Transaction] = []
    if origin_data is not None:
        origin = LedgerOrigin(
            date.fromisoformat(origin_data["today"]),
            origin_data["days"],
            origin_data["count"],
            origin_data["extra_pending"],
            origin_data["length"],
            origin_data["digest"],
        )
        ledger.populate(
            origin.today, origin.days, count=origin.count, extra_pending=origin.extra_pending
        )
        if ledger.origin != origin:
            raise SnapshotError(
                f"the transactions of Item {ledger.item_id} were generated by another version "
                "of dj-plaid's emulator, and this one cannot rebuild them exactly"
            )
        kinds, refs = ledger.log()
        objects = {index: txn for index, txn in enumerate(refs) if kinds[index] == ADD}
    merchants = [_decode_merchant(m) for m in data["merchants"]]
    for row in data["rows"]:
        pos, transaction_id, account_id, amount, day, authorized, slot = row[:7]
        pending, pending_id, clock, removed = row[7:]
        txn = objects.get(pos)
        if txn is None:
            txn = objects[pos] = Transaction(
                transaction_id, account_id, amount, day, authorized, merchants[slot]
            )
        txn.transaction_id, txn.account_id, txn.amount = transaction_id, account_id, amount
        txn.date, txn.authorized_date, txn.merchant = day, authorized, merchants[slot]
        txn.pending, txn.pending_transaction_id, txn.clock = pending, pending_id, clock
        txn.removed = removed
    tail_kinds = bytes.fromhex(data["kinds"])
    try:
        tail_refs = [objects[pos] for pos in data["refs"]]
    except KeyError as exc:
        raise SnapshotError(f"a ledger's log names an unknown transaction {exc}") from None
    ledger.restore_log(kinds + tail_kinds, refs + tail_refs, data["version"])
    ledger.origin = origin
    ledger.pagination_floor = data["pagination_floor"]
    ledger.rng.setstate(decode_value(data["rng"]))
    return ledger


# -- the whole state --------------------------------------------------------------------------


class Snapshotter:
    """Renders snapshots of one state, caching each ledger's text until it changes."""

    def __init__(self) -> None:
        # id(ledger) -> (ledger, its epoch/version/length, its body text). The ledger is
        # kept so that its id cannot be reused by another while cached.
        self._ledgers: dict[int, tuple[TransactionLedger, tuple[int, int, int], str]] = {}

    def take(self, state: EmulatorState) -> str:
        """The state as JSON text (the caller holds ``state.lock``)."""
        offset = state._offset
        sections: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "clock_offset": [offset.days, offset.seconds, offset.microseconds],
            "detect_pagination_mutations": state.detect_pagination_mutations,
            "webhook_keys": state.webhook_keys.export(),
            "webhooks": [{"url": d.url, "payload": d.payload} for d in state.webhooks.pending()],
            "faults": encode_value(state.faults.export()),
            "users": [encode_record(u) for u in state.users.values()],
            "link_tokens": [encode_record(t) for t in state.link_tokens.values()],
            "public_tokens": [encode_record(t) for t in state.public_tokens.values()],
            "link_sessions": [_encode_session(s) for s in state.link_sessions.values()],
            "items": [_encode_item(i) for i in state.items.values()],
        }
        lines = [
            f"{json.dumps(key)}:{json.dumps(value, separators=(',', ':'))}"
            for key, value in sections.items()
        ]
        lines.append('"ledgers":{' + ",\n".join(self._ledger_texts(state)) + "}")
        return "{" + ",\n".join(lines) + "}\n"

    def _ledger_texts(self, state: EmulatorState) -> list[str]:
        texts = []
        seen: dict[int, tuple[TransactionLedger, tuple[int, int, int], str]] = {}
        for item in state.items.values():
            ledger = item.ledger
            if ledger is None:
                continue
            key = (ledger.epoch, ledger.version, len(ledger))
            cached = self._ledgers.get(id(ledger))
            if cached is None or cached[1] != key:
                cached = (ledger, key, _ledger_body(ledger))
            seen[id(ledger)] = cached
            rng = json.dumps(encode_value(ledger.rng.getstate()), separators=(",", ":"))
            texts.append(
                f"{json.dumps(item.item_id)}:{cached[2][:-1]},"
                f'"pagination_floor":{ledger.pagination_floor},"rng":{rng}}}'
            )
        self._ledgers = seen
        return texts


def restore(state: EmulatorState, data: Mapping[str, Any]) -> list[PendingWebhook]:
    """Replace ``state``'s contents with a parsed snapshot; return the webhooks to resend.

    Everything is decoded before the state is touched: on SnapshotError it is unchanged.
    """
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise SnapshotError("not a version-1 dj-plaid emulator state")
    try:
        return _restore(state, data)
    except SnapshotError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise SnapshotError(f"{type(exc).__name__}: {exc}") from None


def _restore(state: EmulatorState, data: Mapping[str, Any]) -> list[PendingWebhook]:
    days, seconds, microseconds = data["clock_offset"]
    offset = timedelta(days=days, seconds=seconds, microseconds=microseconds)
    users = [decode_record(User, row) for row in data["users"]]
    link_tokens = [decode_record(LinkToken, row) for row in data["link_tokens"]]
    public_tokens = [decode_record(PublicToken, row) for row in data["public_tokens"]]
    sessions = [_decode_session(row) for row in data["link_sessions"]]
    items = [_decode_item(row) for row in data["items"]]
    ledgers = {item_id: _decode_ledger(body) for item_id, body in data["ledgers"].items()}
    by_id = {item.item_id: item for item in items}
    if set(ledgers) - set(by_id):
        raise SnapshotError("a ledger belongs to no Item")
    for item_id, ledger in ledgers.items():
        by_id[item_id].ledger = ledger
    faults = decode_value(data["faults"])
    pending = [(str(w["url"]), dict(w["payload"])) for w in data["webhooks"]]
    keys = data["webhook_keys"]
    with state.lock:
        state.webhook_keys.restore(keys)
        state.faults.restore(faults)
        state._offset = offset
        state.detect_pagination_mutations = bool(data["detect_pagination_mutations"])
        state.users = {u.user_id: u for u in users}
        state._user_tokens = {u.user_token: u.user_id for u in users}
        state._client_user_ids = {u.client_user_id: u.user_id for u in users}
        state.link_tokens = {t.link_token: t for t in link_tokens}
        state.public_tokens = {t.public_token: t for t in public_tokens}
        state.link_sessions = {s.link_session_id: s for s in sessions}
        state.items = by_id
        state._access_tokens = {item.access_token: item.item_id for item in items}
    return pending
