"""Fidelity: everything the emulator answers must survive plaid-python's strict typing.

plaid-python (with its default ``_check_return_type=True``) rejects a response with a
missing required key, a null in a non-nullable field or a wrong scalar type. These tests
drive the real SDK over HTTP and also push every recorded body (successes *and* errors)
through ``ApiClient.deserialize`` with the SDK model for that path, so an emulator change
that breaks the wire contract fails the build.
"""

from __future__ import annotations

import collections
import itertools
from datetime import timedelta

import plaid
import pytest
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.accounts_get_response import AccountsGetResponse
from plaid.model.assets_error_webhook import AssetsErrorWebhook
from plaid.model.assets_product_ready_webhook import AssetsProductReadyWebhook
from plaid.model.auth_default_update_webhook import AuthDefaultUpdateWebhook
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.auth_get_request_options import AuthGetRequestOptions
from plaid.model.auth_get_response import AuthGetResponse
from plaid.model.automatically_verified_webhook import AutomaticallyVerifiedWebhook
from plaid.model.country_code import CountryCode
from plaid.model.credit_payroll_income_get_request import CreditPayrollIncomeGetRequest
from plaid.model.credit_payroll_income_get_request_options import (
    CreditPayrollIncomeGetRequestOptions,
)
from plaid.model.credit_payroll_income_get_response import CreditPayrollIncomeGetResponse
from plaid.model.custom_sandbox_transaction import CustomSandboxTransaction
from plaid.model.default_update_webhook import DefaultUpdateWebhook
from plaid.model.historical_update_webhook import HistoricalUpdateWebhook
from plaid.model.holdings_default_update_webhook import HoldingsDefaultUpdateWebhook
from plaid.model.hosted_mmd_verification_webhook import HostedMMDVerificationWebhook
from plaid.model.identity_default_update_webhook import IdentityDefaultUpdateWebhook
from plaid.model.identity_get_request import IdentityGetRequest
from plaid.model.identity_get_response import IdentityGetResponse
from plaid.model.income_verification_source_type import IncomeVerificationSourceType
from plaid.model.income_verification_status_webhook import IncomeVerificationStatusWebhook
from plaid.model.initial_update_webhook import InitialUpdateWebhook
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.institutions_get_by_id_request_options import InstitutionsGetByIdRequestOptions
from plaid.model.institutions_get_by_id_response import InstitutionsGetByIdResponse
from plaid.model.institutions_get_request import InstitutionsGetRequest
from plaid.model.institutions_get_response import InstitutionsGetResponse
from plaid.model.institutions_search_request import InstitutionsSearchRequest
from plaid.model.institutions_search_response import InstitutionsSearchResponse
from plaid.model.investments_default_update_webhook import InvestmentsDefaultUpdateWebhook
from plaid.model.investments_historical_update_webhook import InvestmentsHistoricalUpdateWebhook
from plaid.model.investments_holdings_get_request import InvestmentsHoldingsGetRequest
from plaid.model.investments_holdings_get_response import InvestmentsHoldingsGetResponse
from plaid.model.investments_transactions_get_request import InvestmentsTransactionsGetRequest
from plaid.model.investments_transactions_get_request_options import (
    InvestmentsTransactionsGetRequestOptions,
)
from plaid.model.investments_transactions_get_response import InvestmentsTransactionsGetResponse
from plaid.model.item import Item
from plaid.model.item_access_token_invalidate_request import ItemAccessTokenInvalidateRequest
from plaid.model.item_access_token_invalidate_response import ItemAccessTokenInvalidateResponse
from plaid.model.item_error_webhook import ItemErrorWebhook
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_get_response import ItemGetResponse
from plaid.model.item_login_repaired_webhook import ItemLoginRepairedWebhook
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_public_token_exchange_response import ItemPublicTokenExchangeResponse
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.item_remove_response import ItemRemoveResponse
from plaid.model.item_webhook_update_request import ItemWebhookUpdateRequest
from plaid.model.item_webhook_update_response import ItemWebhookUpdateResponse
from plaid.model.jwk_public_key import JWKPublicKey
from plaid.model.liabilities_default_update_webhook import LiabilitiesDefaultUpdateWebhook
from plaid.model.liabilities_get_request import LiabilitiesGetRequest
from plaid.model.liabilities_get_response import LiabilitiesGetResponse
from plaid.model.link_session_success_metadata import LinkSessionSuccessMetadata
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_income_verification import (
    LinkTokenCreateRequestIncomeVerification,
)
from plaid.model.link_token_create_request_update import LinkTokenCreateRequestUpdate
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_create_response import LinkTokenCreateResponse
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.link_token_get_response import LinkTokenGetResponse
from plaid.model.new_accounts_available_webhook import NewAccountsAvailableWebhook
from plaid.model.pending_disconnect_webhook import PendingDisconnectWebhook
from plaid.model.pending_expiration_webhook import PendingExpirationWebhook
from plaid.model.plaid_error import PlaidError
from plaid.model.products import Products
from plaid.model.recurring_transactions_update_webhook import RecurringTransactionsUpdateWebhook
from plaid.model.sandbox_income_fire_webhook_request import SandboxIncomeFireWebhookRequest
from plaid.model.sandbox_income_fire_webhook_response import SandboxIncomeFireWebhookResponse
from plaid.model.sandbox_income_webhook_fire_request_webhook_code import (
    SandboxIncomeWebhookFireRequestWebhookCode,
)
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_item_fire_webhook_response import SandboxItemFireWebhookResponse
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.sandbox_item_reset_login_response import SandboxItemResetLoginResponse
from plaid.model.sandbox_item_set_verification_status_request import (
    SandboxItemSetVerificationStatusRequest,
)
from plaid.model.sandbox_item_set_verification_status_response import (
    SandboxItemSetVerificationStatusResponse,
)
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.sandbox_public_token_create_request_options_income_verification import (
    SandboxPublicTokenCreateRequestOptionsIncomeVerification,
)
from plaid.model.sandbox_public_token_create_response import SandboxPublicTokenCreateResponse
from plaid.model.sandbox_transactions_create_request import SandboxTransactionsCreateRequest
from plaid.model.sandbox_transactions_create_response import SandboxTransactionsCreateResponse
from plaid.model.sync_updates_available_webhook import SyncUpdatesAvailableWebhook
from plaid.model.transaction import Transaction
from plaid.model.transactions_get_request import TransactionsGetRequest
from plaid.model.transactions_get_request_options import TransactionsGetRequestOptions
from plaid.model.transactions_get_response import TransactionsGetResponse
from plaid.model.transactions_refresh_request import TransactionsRefreshRequest
from plaid.model.transactions_refresh_response import TransactionsRefreshResponse
from plaid.model.transactions_removed_webhook import TransactionsRemovedWebhook
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.transactions_sync_response import TransactionsSyncResponse
from plaid.model.user_account_revoked_webhook import UserAccountRevokedWebhook
from plaid.model.user_create_request import UserCreateRequest
from plaid.model.user_create_response import UserCreateResponse
from plaid.model.user_income_verification_status_webhook import (
    UserIncomeVerificationStatusWebhook,
)
from plaid.model.user_permission_revoked_webhook import UserPermissionRevokedWebhook
from plaid.model.user_remove_request import UserRemoveRequest
from plaid.model.user_remove_response import UserRemoveResponse
from plaid.model.verification_expired_webhook import VerificationExpiredWebhook
from plaid.model.webhook_type import WebhookType
from plaid.model.webhook_update_acknowledged_webhook import WebhookUpdateAcknowledgedWebhook
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest
from plaid.model.webhook_verification_key_get_response import (
    WebhookVerificationKeyGetResponse,
)

from django_plaid.emulator import CATALOGUE, PlaidErrorResponse
from django_plaid.emulator.data import INSTITUTIONS
from django_plaid.emulator.errors import error_for_code

from . import ERROR_KEYS, deserialize, linkui, make_api, plaid_error, plaid_failure, post, recording

#: The SDK response model for each Plaid endpoint the emulator serves.
RESPONSE_MODELS = {
    "/link/token/create": LinkTokenCreateResponse,
    "/link/token/get": LinkTokenGetResponse,
    "/item/public_token/exchange": ItemPublicTokenExchangeResponse,
    "/item/get": ItemGetResponse,
    "/item/remove": ItemRemoveResponse,
    "/accounts/get": AccountsGetResponse,
    "/accounts/balance/get": AccountsGetResponse,
    "/institutions/get_by_id": InstitutionsGetByIdResponse,
    "/institutions/search": InstitutionsSearchResponse,
    "/institutions/get": InstitutionsGetResponse,
    "/sandbox/public_token/create": SandboxPublicTokenCreateResponse,
    "/sandbox/item/fire_webhook": SandboxItemFireWebhookResponse,
    "/sandbox/item/reset_login": SandboxItemResetLoginResponse,
    "/item/webhook/update": ItemWebhookUpdateResponse,
    "/item/access_token/invalidate": ItemAccessTokenInvalidateResponse,
    "/webhook_verification_key/get": WebhookVerificationKeyGetResponse,
    "/transactions/sync": TransactionsSyncResponse,
    "/transactions/get": TransactionsGetResponse,
    "/transactions/refresh": TransactionsRefreshResponse,
    "/sandbox/transactions/create": SandboxTransactionsCreateResponse,
    "/auth/get": AuthGetResponse,
    "/sandbox/item/set_verification_status": SandboxItemSetVerificationStatusResponse,
    "/identity/get": IdentityGetResponse,
    "/investments/holdings/get": InvestmentsHoldingsGetResponse,
    "/investments/transactions/get": InvestmentsTransactionsGetResponse,
    "/liabilities/get": LiabilitiesGetResponse,
    "/user/create": UserCreateResponse,
    "/user/remove": UserRemoveResponse,
    "/credit/payroll_income/get": CreditPayrollIncomeGetResponse,
    "/sandbox/income/fire_webhook": SandboxIncomeFireWebhookResponse,
}

#: The SDK model of each webhook the emulator can send, by (webhook_type, webhook_code).
WEBHOOK_MODELS = {
    ("ITEM", "ERROR"): ItemErrorWebhook,
    ("ITEM", "LOGIN_REPAIRED"): ItemLoginRepairedWebhook,
    ("ITEM", "PENDING_EXPIRATION"): PendingExpirationWebhook,
    ("ITEM", "PENDING_DISCONNECT"): PendingDisconnectWebhook,
    ("ITEM", "USER_PERMISSION_REVOKED"): UserPermissionRevokedWebhook,
    ("ITEM", "USER_ACCOUNT_REVOKED"): UserAccountRevokedWebhook,
    ("ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED"): WebhookUpdateAcknowledgedWebhook,
    ("ITEM", "NEW_ACCOUNTS_AVAILABLE"): NewAccountsAvailableWebhook,
    ("TRANSACTIONS", "INITIAL_UPDATE"): InitialUpdateWebhook,
    ("TRANSACTIONS", "HISTORICAL_UPDATE"): HistoricalUpdateWebhook,
    ("TRANSACTIONS", "DEFAULT_UPDATE"): DefaultUpdateWebhook,
    ("TRANSACTIONS", "TRANSACTIONS_REMOVED"): TransactionsRemovedWebhook,
    ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): SyncUpdatesAvailableWebhook,
    ("TRANSACTIONS", "RECURRING_TRANSACTIONS_UPDATE"): RecurringTransactionsUpdateWebhook,
    ("AUTH", "DEFAULT_UPDATE"): AuthDefaultUpdateWebhook,
    ("AUTH", "SMS_MICRODEPOSITS_VERIFICATION"): HostedMMDVerificationWebhook,
    ("AUTH", "AUTOMATICALLY_VERIFIED"): AutomaticallyVerifiedWebhook,
    ("AUTH", "VERIFICATION_EXPIRED"): VerificationExpiredWebhook,
    ("IDENTITY", "DEFAULT_UPDATE"): IdentityDefaultUpdateWebhook,
    ("HOLDINGS", "DEFAULT_UPDATE"): HoldingsDefaultUpdateWebhook,
    ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): InvestmentsDefaultUpdateWebhook,
    ("INVESTMENTS_TRANSACTIONS", "HISTORICAL_UPDATE"): InvestmentsHistoricalUpdateWebhook,
    ("LIABILITIES", "DEFAULT_UPDATE"): LiabilitiesDefaultUpdateWebhook,
    ("ASSETS", "PRODUCT_READY"): AssetsProductReadyWebhook,
    ("ASSETS", "ERROR"): AssetsErrorWebhook,
    ("INCOME", "INCOME_VERIFICATION"): IncomeVerificationStatusWebhook,
    ("INCOME", "USER_INCOME_VERIFICATION"): UserIncomeVerificationStatusWebhook,
}

PRODUCT_SETS = [
    ("transactions",),
    ("auth",),
    ("identity",),
    ("investments",),
    ("liabilities",),
    ("auth", "transactions"),
    ("assets", "investments", "liabilities"),
]


#: The keys each emulator-only control answers with (besides request_id).
EMULATOR_ANSWER_KEYS = {
    "/emulator/item/generate_transactions": {"item_id", "count", "days"},
    "/emulator/item/add_transactions": {"transaction_ids"},
    "/emulator/item/modify_transaction": {"transaction_id"},
    "/emulator/item/remove_transaction": {"transaction_id"},
    "/emulator/item/post_pending": {"posted"},
    "/emulator/item/set_transactions_ready": {"item_id", "transactions_ready"},
    "/emulator/item/set_product_ready": {"item_id", "product", "ready"},
    "/emulator/faults": {"fault"},
    "/emulator/faults/clear": {"cleared"},
    "/emulator/faults/list": {"faults"},
}


def check_emulator_only(path, body):
    """Emulator-only answers embed SDK objects; check those parts strictly."""
    if path == "/emulator/link/complete":
        assert body["public_token"].startswith("public-sandbox-")
        deserialize(body["metadata"], LinkSessionSuccessMetadata)
    elif path.startswith(linkui.PREFIX):
        linkui.check_answer(body)
    elif path == "/emulator/item/set_error":
        deserialize(body["item"], Item)
    elif path == "/emulator/webhook_key/rotate":
        deserialize(body["key"], JWKPublicKey)
        assert deserialize(body["expired_key"], JWKPublicKey).expired_at is not None
    elif path == "/emulator/item/transactions":
        assert body["total_transactions"] == len(body["transactions"])
        for transaction in body["transactions"][:10]:
            deserialize(transaction, Transaction)
    elif path in EMULATOR_ANSWER_KEYS:
        assert set(body) == EMULATOR_ANSWER_KEYS[path] | {"request_id"}, (path, body)
    else:
        assert path == "/emulator/reset"
        assert set(body) == {"request_id"}


def check_recorded(seen, routes):
    """Deserialize every recorded body; each Plaid route must show a success and an error."""
    outcomes = {path: set() for path in routes}
    for path, status, body in seen:
        if status != 200:
            assert set(body) == ERROR_KEYS, (path, body)
            deserialize(body, PlaidError)
            outcomes.setdefault(path, set()).add("error")
            continue
        assert len(body["request_id"]) == 15
        if path in RESPONSE_MODELS:
            deserialize(body, RESPONSE_MODELS[path])
        else:
            check_emulator_only(path, body)
        outcomes[path].add("ok")
    missing = {path: {"ok", "error"} - got for path, got in outcomes.items() if path in routes}
    assert not {path: gap for path, gap in missing.items() if gap}, missing


def test_every_route_has_a_model():
    from django_plaid.emulator.endpoints import default_routes

    plaid_routes = {r.path for r in default_routes() if not r.path.startswith("/emulator/")}
    assert plaid_routes == set(RESPONSE_MODELS)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_catalogue_errors_deserialize(code):
    error = PlaidErrorResponse(code)
    api_body = error.to_dict("abcdefghijklmno")
    assert set(api_body) == ERROR_KEYS
    parsed = deserialize(api_body, PlaidError)
    assert parsed.error_code == code
    assert parsed.error_type.value == CATALOGUE[code].error_type
    embedded = deserialize(error.to_dict(status=True), PlaidError)
    assert embedded.status == CATALOGUE[code].http_status


def test_unknown_codes_still_make_valid_errors():
    deserialize(error_for_code("BRAND_NEW_CODE").to_dict("abcdefghijklmno"), PlaidError)
    with pytest.raises(ValueError, match="unknown Plaid error code"):
        PlaidErrorResponse("BRAND_NEW_CODE")


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_items_in_every_error_state(plaid_emulator, code):
    """``/item/get`` embeds the error; data endpoints answer it, with its HTTP status."""
    api = make_api(plaid_emulator)
    item = plaid_emulator.state.create_item()
    plaid_emulator.state.set_item_error(item.item_id, code)
    got = api.item_get(ItemGetRequest(access_token=item.access_token)).item.error
    assert got.error_code == code
    with pytest.raises(plaid.ApiException) as info:
        api.accounts_get(AccountsGetRequest(access_token=item.access_token))
    assert info.value.status == CATALOGUE[code].http_status
    assert plaid_error(info.value).error_code == code


def link_token_request(**kwargs):
    return LinkTokenCreateRequest(
        client_name="fidelity",
        language="en",
        country_codes=[CountryCode("US"), CountryCode("CA"), CountryCode("GB")],
        user=LinkTokenCreateRequestUser(client_user_id="user-1"),
        **kwargs,
    )


def check_webhook(payload):
    """Deserialize a webhook payload strictly into its SDK model; return the model."""
    model = WEBHOOK_MODELS[payload["webhook_type"], payload["webhook_code"]]
    # Only keys the model knows: an invented key would be silently accepted otherwise.
    assert set(payload) <= set(model.attribute_map), (model, payload)
    parsed = deserialize(payload, model)
    assert parsed.environment.value == "sandbox"
    if "item_id" in model.attribute_map:
        assert payload["item_id"]
    return parsed


def test_every_webhook_payload_matches_its_model(plaid_emulator):
    """Make the emulator produce every webhook it can; each must fit its SDK model."""
    from django_plaid.emulator.notifications import FIRE_WEBHOOK_TYPES

    plaid_emulator.send_webhooks = False  # record only: nothing to receive them here
    api = make_api(plaid_emulator)
    products = ("transactions", "auth", "identity", "investments", "liabilities", "assets")
    public = api.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products(p) for p in products],
            options=SandboxPublicTokenCreateRequestOptions(webhook="https://example.com/hook"),
        )
    ).public_token
    access_token = api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token
    for code, types in FIRE_WEBHOOK_TYPES.items():
        for webhook_type in types:
            post(
                plaid_emulator,
                "/sandbox/item/fire_webhook",
                {"access_token": access_token, "webhook_code": code, "webhook_type": webhook_type},
            )
    # A dynamic Item's refresh sends DEFAULT_UPDATE, TRANSACTIONS_REMOVED and (once
    # synced) SYNC_UPDATES_AVAILABLE with real counts.
    dynamic = dynamic_item(api)
    api.transactions_sync(TransactionsSyncRequest(access_token=dynamic), _preload_content=False)
    api.transactions_refresh(TransactionsRefreshRequest(access_token=dynamic))
    # Micro-deposit verification outcomes, on the auth accounts of the full Item.
    state = plaid_emulator.state
    checking, savings = (
        a.account_id
        for a in state.item_for_access_token(access_token).accounts
        if a.subtype in ("checking", "savings")
    )
    for account_id, status in (
        (checking, "automatically_verified"),
        (savings, "verification_expired"),
    ):
        api.sandbox_item_set_verification_status(
            SandboxItemSetVerificationStatusRequest(
                access_token=access_token, account_id=account_id, verification_status=status
            )
        )
    # Income: a payroll Item (INCOME_VERIFICATION), and the sandbox's USER_ variant.
    user = api.user_create(UserCreateRequest(client_user_id="webhooks-user"))
    api.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("income_verification")],
            user_token=user.user_token,
            options=SandboxPublicTokenCreateRequestOptions(webhook="https://example.com/hook"),
        )
    )
    payroll_item_id = state.users[user.user_id].item_ids[0]
    api.sandbox_income_fire_webhook(
        SandboxIncomeFireWebhookRequest(
            item_id=payroll_item_id,
            webhook="https://example.com/hook",
            webhook_code=SandboxIncomeWebhookFireRequestWebhookCode("USER_INCOME_VERIFICATION"),
        )
    )
    api.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))
    api.item_webhook_update(
        ItemWebhookUpdateRequest(access_token=access_token, webhook="https://example.com/new")
    )
    deliveries = plaid_emulator.wait_for_webhooks()
    assert all(d.suppressed for d in deliveries)
    seen = set()
    for delivery in deliveries:
        check_webhook(delivery.payload)
        seen.add((delivery.webhook_type, delivery.webhook_code))
    assert seen == set(WEBHOOK_MODELS)
    # The embedded errors are valid PlaidErrors, with status and without request_id.
    for delivery in deliveries:
        error = delivery.payload.get("error")
        if error is not None:
            assert deserialize(error, PlaidError).status == 400
            assert "request_id" not in error


def test_every_response_through_the_sdk(plaid_emulator):
    """Drive each endpoint through its successes and failures; check all bodies strictly."""
    api = make_api(plaid_emulator)
    # Items here point at example.com: record their webhooks, never try to send them.
    plaid_emulator.send_webhooks = False
    with recording(plaid_emulator) as seen:
        # Institutions: every one, every option combination.
        for institution in INSTITUTIONS.values():
            for metadata, status in itertools.product((False, True), repeat=2):
                api.institutions_get_by_id(
                    InstitutionsGetByIdRequest(
                        institution_id=institution.institution_id,
                        country_codes=[CountryCode(c) for c in institution.country_codes],
                        options=InstitutionsGetByIdRequestOptions(
                            include_optional_metadata=metadata, include_status=status
                        ),
                    )
                )
        plaid_failure(
            lambda: api.institutions_get_by_id(
                InstitutionsGetByIdRequest(
                    institution_id="ins_0", country_codes=[CountryCode("US")]
                )
            )
        )
        api.institutions_search(
            InstitutionsSearchRequest(query="platypus", country_codes=[CountryCode("US")])
        )
        status, _, _ = post(
            plaid_emulator,
            "/institutions/search",
            {"query": "platypus", "country_codes": ["US"], "products": ["x"]},
        )
        assert status == 400
        api.institutions_get(
            InstitutionsGetRequest(count=500, offset=0, country_codes=[CountryCode("US")])
        )
        status, _, _ = post(
            plaid_emulator,
            "/institutions/get",
            {"count": 501, "offset": 0, "country_codes": ["US"]},
        )
        assert status == 400

        # The Link simulator's backend, every step.
        linkui.exercise(plaid_emulator, api)

        # Items at every linkable institution, with several product sets.
        access_tokens = []
        for institution in INSTITUTIONS.values():
            if institution.link_error:
                plaid_failure(
                    lambda i=institution: api.sandbox_public_token_create(
                        SandboxPublicTokenCreateRequest(
                            institution_id=i.institution_id, initial_products=[Products("auth")]
                        )
                    )
                )
                continue
            for products in PRODUCT_SETS:
                if not set(products) <= set(institution.products):
                    continue
                public = api.sandbox_public_token_create(
                    SandboxPublicTokenCreateRequest(
                        institution_id=institution.institution_id,
                        initial_products=[Products(p) for p in products],
                        options=SandboxPublicTokenCreateRequestOptions(
                            webhook="https://example.com/hook"
                        ),
                    )
                ).public_token
                exchanged = api.item_public_token_exchange(
                    ItemPublicTokenExchangeRequest(public_token=public)
                )
                access_tokens.append(exchanged.access_token)
        assert len(access_tokens) > 30
        for access_token in access_tokens:
            api.item_get(ItemGetRequest(access_token=access_token))
            api.accounts_get(AccountsGetRequest(access_token=access_token))
            api.accounts_balance_get(AccountsBalanceGetRequest(access_token=access_token))

        # Link: a new Item, then update mode on an Item in error.
        link_token = api.link_token_create(
            link_token_request(products=[Products("transactions")], webhook="https://e.x/h")
        ).link_token
        for institution_id in ("ins_109508", "ins_43", "ins_117650"):
            status, _, _ = post(
                plaid_emulator,
                "/emulator/link/complete",
                {"link_token": link_token, "institution_id": institution_id},
                credentials=False,
            )
            assert status == 200
        post(
            plaid_emulator,
            "/emulator/link/complete",
            {"link_token": link_token, "password": "error_ITEM_LOCKED"},
            credentials=False,
        )
        assert (
            len(api.link_token_get(LinkTokenGetRequest(link_token=link_token)).link_sessions) == 3
        )
        plaid_failure(lambda: api.link_token_get(LinkTokenGetRequest(link_token="link-sandbox-x")))
        broken = access_tokens[0]
        post(
            plaid_emulator,
            "/emulator/item/set_error",
            {"access_token": broken, "error_code": "ITEM_LOGIN_REQUIRED"},
            credentials=False,
        )
        post(plaid_emulator, "/emulator/item/set_error", {}, credentials=False)
        errored = api.item_get(ItemGetRequest(access_token=broken))
        assert errored.item.error.error_code == "ITEM_LOGIN_REQUIRED"
        plaid_failure(lambda: api.accounts_get(AccountsGetRequest(access_token=broken)))
        plaid_failure(
            lambda: api.accounts_balance_get(AccountsBalanceGetRequest(access_token=broken))
        )
        update_token = api.link_token_create(
            link_token_request(
                access_token=broken,
                update=LinkTokenCreateRequestUpdate(account_selection_enabled=True),
            )
        ).link_token
        status, _, answer = post(
            plaid_emulator,
            "/emulator/link/complete",
            {"link_token": update_token},
            credentials=False,
        )
        assert status == 200
        plaid_failure(
            lambda: api.item_public_token_exchange(
                ItemPublicTokenExchangeRequest(public_token=answer["public_token"])
            )
        )
        plaid_failure(
            lambda: api.link_token_create(link_token_request(products=[Products("balance")]))
        )

        # Webhooks: the key, firing, forced login resets, URL updates.
        kid = plaid_emulator.webhook_key_id
        api.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=kid))
        plaid_failure(
            lambda: api.webhook_verification_key_get(
                WebhookVerificationKeyGetRequest(key_id="not-a-key")
            )
        )
        post(plaid_emulator, "/emulator/webhook_key/rotate", credentials=False)
        post(plaid_emulator, "/emulator/webhook_key/rotate", b"[]", credentials=False)
        api.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=kid))
        hooked = api.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(
                public_token=api.sandbox_public_token_create(
                    SandboxPublicTokenCreateRequest(
                        institution_id="ins_109508",
                        initial_products=[Products("transactions")],
                        options=SandboxPublicTokenCreateRequestOptions(
                            webhook="https://example.com/hook"
                        ),
                    )
                ).public_token
            )
        ).access_token
        for code in ("DEFAULT_UPDATE", "LOGIN_REPAIRED", "SYNC_UPDATES_AVAILABLE"):
            api.sandbox_item_fire_webhook(
                SandboxItemFireWebhookRequest(access_token=hooked, webhook_code=code)
            )
        plaid_failure(
            lambda: api.sandbox_item_fire_webhook(
                SandboxItemFireWebhookRequest(
                    access_token=hooked,
                    webhook_code="PRODUCT_READY",
                    webhook_type=WebhookType("ASSETS"),
                )
            )
        )
        api.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=hooked))
        api.item_webhook_update(
            ItemWebhookUpdateRequest(access_token=hooked, webhook="https://example.com/new")
        )
        api.item_webhook_update(ItemWebhookUpdateRequest(access_token=hooked, webhook=None))
        plaid_failure(
            lambda: api.sandbox_item_fire_webhook(
                SandboxItemFireWebhookRequest(access_token=hooked, webhook_code="DEFAULT_UPDATE")
            )
        )
        for delivery in plaid_emulator.deliveries:
            check_webhook(delivery.payload)

        exercise_transactions(api, plaid_emulator)
        exercise_products(api, plaid_emulator)
        exercise_income(api, plaid_emulator)

        # Rotation (an Item in error rotates too), then every call with the old token.
        rotated = api.item_access_token_invalidate(
            ItemAccessTokenInvalidateRequest(access_token=broken)
        ).new_access_token
        plaid_failure(
            lambda: api.item_access_token_invalidate(
                ItemAccessTokenInvalidateRequest(access_token=broken)
            )
        )
        broken = rotated

        # Removal, and every call with the removed token.
        api.item_remove(ItemRemoveRequest(access_token=broken))
        for call in (
            lambda: api.item_get(ItemGetRequest(access_token=broken)),
            lambda: api.item_remove(ItemRemoveRequest(access_token=broken)),
            lambda: api.item_access_token_invalidate(
                ItemAccessTokenInvalidateRequest(access_token=broken)
            ),
        ):
            plaid_failure(call)

        # Request-level failures on every Plaid route: no credentials, bad body, bad field.
        for path in RESPONSE_MODELS:
            post(plaid_emulator, path, {}, credentials=False)
            post(plaid_emulator, path, b"{not json")
            post(plaid_emulator, path, {})
        post(plaid_emulator, "/nowhere", {})
        post(plaid_emulator, "/emulator/reset", b"[]", credentials=False)
        post(plaid_emulator, "/emulator/reset", credentials=False)

    check_recorded(seen, set(plaid_emulator.app.routes))


# -- transactions ------------------------------------------------------------------------------


def dynamic_item(api, webhook="https://example.com/hook"):
    """A ``user_transactions_dynamic`` Item; return its access token."""
    public = api.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("transactions")],
            options=SandboxPublicTokenCreateRequestOptions(
                webhook=webhook,
                override_username="user_transactions_dynamic",
                override_password="anything",
            ),
        )
    ).public_token
    return api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).access_token


def exercise_transactions(api, emulator):
    """Every transactions route, fault and control: typed successes and PlaidError failures."""
    state = emulator.state
    today = state.now().date()
    token = dynamic_item(api)

    # Full history, typed: pending and posted, ids and pending ids.
    first = api.transactions_sync(TransactionsSyncRequest(access_token=token, count=500))
    assert not first.has_more
    assert first.transactions_update_status.value == "HISTORICAL_UPDATE_COMPLETE"
    assert {t.pending for t in first.added} == {True, False}
    assert all(len(t.transaction_id) == 37 for t in first.added)
    assert {a.account_id for a in first.accounts} == {t.account_id for t in first.added}

    # A refresh: pending ones posted (removed + added with pending_transaction_id), new
    # pending ones, one amount bumped.
    api.transactions_refresh(TransactionsRefreshRequest(access_token=token))
    second = api.transactions_sync(
        TransactionsSyncRequest(access_token=token, cursor=first.next_cursor)
    )
    assert second.modified
    assert second.removed
    posted = [t for t in second.added if t.get("pending_transaction_id")]
    assert {t.pending_transaction_id for t in posted} == {r.transaction_id for r in second.removed}
    assert all(not t.pending for t in posted)
    assert any(t.pending for t in second.added)

    # Paging one account's stream with original descriptions.
    per_account = collections.Counter(t.account_id for t in first.added)
    account_id = per_account.most_common(1)[0][0]
    paged = api.transactions_sync(
        TransactionsSyncRequest(
            access_token=token,
            count=3,
            options={"include_original_description": True, "account_id": account_id},
        )
    )
    assert paged.has_more
    assert all(t.account_id == account_id and t.original_description for t in paged.added)

    # The legacy endpoint, and sandbox-created transactions.
    got = api.transactions_get(
        TransactionsGetRequest(
            access_token=token,
            start_date=today - timedelta(days=365),
            end_date=today,
            options=TransactionsGetRequestOptions(
                count=10, offset=2, include_original_description=True
            ),
        )
    )
    assert got.total_transactions == len(emulator.transactions_truth(token))
    assert len(got.transactions) == 10
    api.sandbox_transactions_create(
        SandboxTransactionsCreateRequest(
            access_token=token,
            transactions=[
                CustomSandboxTransaction(
                    date_transacted=today - timedelta(days=2),
                    date_posted=today - timedelta(days=1),
                    amount=12.34,
                    description="Starbucks 4401",
                ),
                CustomSandboxTransaction(
                    date_transacted=today,
                    date_posted=today,
                    amount=-1500.0,
                    description="PAYCHECK DEPOSIT",
                    iso_currency_code="USD",
                ),
            ],
        )
    )
    third = api.transactions_sync(
        TransactionsSyncRequest(access_token=token, cursor=second.next_cursor)
    )
    assert {t.name for t in third.added} == {"Starbucks 4401", "PAYCHECK DEPOSIT"}

    # NOT_READY, and a product-less Item that sync initializes.
    waiting = state.create_item(transactions_ready=False)
    not_ready = api.transactions_sync(TransactionsSyncRequest(access_token=waiting.access_token))
    assert not_ready.transactions_update_status.value == "NOT_READY"
    assert not_ready.next_cursor == ""
    auth_only = state.create_item(products=("auth",))
    api.transactions_sync(TransactionsSyncRequest(access_token=auth_only.access_token))

    # Failures of each route.
    assert (
        plaid_failure(
            lambda: api.transactions_sync(
                TransactionsSyncRequest(access_token=token, cursor="nope")
            )
        ).error.error_message
        == "cursor not associated with access_token"
    )
    status, _, body = post(emulator, "/transactions/sync", {"access_token": token, "count": 0})
    assert (status, body["error_code"]) == (400, "INVALID_FIELD")
    plaid_failure(
        lambda: api.transactions_get(
            TransactionsGetRequest(
                access_token=token, start_date=today, end_date=today - timedelta(days=1)
            )
        )
    )
    plaid_failure(
        lambda: api.transactions_get(
            TransactionsGetRequest(
                access_token=waiting.access_token, start_date=today, end_date=today
            )
        )
    )
    plain = state.create_item(products=("auth",))
    assert (
        plaid_failure(
            lambda: api.transactions_refresh(
                TransactionsRefreshRequest(access_token=plain.access_token)
            )
        ).error.error_code
        == "PRODUCT_NOT_ENABLED"
    )
    good = state.create_item()
    assert (
        plaid_failure(
            lambda: api.sandbox_transactions_create(
                SandboxTransactionsCreateRequest(
                    access_token=good.access_token,
                    transactions=[
                        CustomSandboxTransaction(
                            date_transacted=today, date_posted=today, amount=1.0, description="x"
                        )
                    ],
                )
            )
        ).error.error_code
        == "SANDBOX_PRODUCT_NOT_ENABLED"
    )

    # Every fault's error body is a valid PlaidError with its HTTP status.
    sync = lambda: api.transactions_sync(TransactionsSyncRequest(access_token=token))  # noqa: E731
    for kind, options, code, http in (
        ("http_500", {}, "INTERNAL_SERVER_ERROR", 500),
        ("rate_limit", {}, "TRANSACTIONS_SYNC_LIMIT", 429),
        ("error", {"error_code": "PRODUCT_NOT_READY"}, "PRODUCT_NOT_READY", 400),
        ("error", {"error_code": "ITEM_LOGIN_REQUIRED"}, "ITEM_LOGIN_REQUIRED", 400),
        ("error", {"error_code": "INSTITUTION_DOWN"}, "INSTITUTION_DOWN", 400),
        ("error", {"error_code": "PLANNED_MAINTENANCE"}, "PLANNED_MAINTENANCE", 503),
    ):
        emulator.faults.add(kind, path="/transactions/sync", **options)
        with pytest.raises(plaid.ApiException) as info:
            sync()
        assert info.value.status == http
        assert plaid_error(info.value).error_code == code
    emulator.faults.add("rate_limit", path="/accounts/balance/get")
    assert (
        plaid_failure(
            lambda: api.accounts_balance_get(AccountsBalanceGetRequest(access_token=token))
        ).error.error_code
        == "BALANCE_LIMIT"
    )
    emulator.faults.add("slow", path="/transactions/sync", seconds=0.01)
    sync()
    emulator.faults.add(
        "mutation_during_pagination", item_id=state.item_for_access_token(token).item_id, at_page=1
    )
    mid = api.transactions_sync(TransactionsSyncRequest(access_token=token, count=1))
    error = plaid_failure(
        lambda: api.transactions_sync(
            TransactionsSyncRequest(access_token=token, cursor=mid.next_cursor)
        )
    ).error
    assert error.error_type.value == "TRANSACTIONS_ERROR"
    assert error.error_code == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"

    # The emulator's own controls, each with a success and a failure.
    item_id = state.item_for_access_token(token).item_id
    transaction_id = next(iter(emulator.transactions_truth(token)))
    controls = [
        ("/emulator/item/generate_transactions", {"item_id": good.item_id, "count": 40}, {}),
        ("/emulator/item/add_transactions", {"access_token": token, "count": 2}, {"item_id": "x"}),
        (
            "/emulator/item/modify_transaction",
            {"item_id": item_id, "transaction_id": transaction_id, "name": "Renamed"},
            {"item_id": item_id, "transaction_id": "missing"},
        ),
        (
            "/emulator/item/remove_transaction",
            {"item_id": item_id},
            {"item_id": item_id, "transaction_id": "missing"},
        ),
        ("/emulator/item/post_pending", {"item_id": item_id}, {}),
        ("/emulator/item/transactions", {"item_id": item_id}, {"access_token": "bad"}),
        (
            "/emulator/item/set_transactions_ready",
            {"item_id": waiting.item_id},
            {"item_id": waiting.item_id, "ready": "yes"},
        ),
        ("/emulator/faults", {"kind": "http_500", "path": "/nowhere"}, {"kind": "boom"}),
        ("/emulator/faults/list", {}, b"[]"),
        ("/emulator/faults/clear", {}, {"id": "fault-0"}),
    ]
    for path, good_body, bad_body in controls:
        status, _, body = post(emulator, path, good_body, credentials=False)
        assert status == 200, (path, body)
        status, _, body = post(emulator, path, bad_body, credentials=False)
        assert status >= 400, (path, body)

    # Every webhook the transactions traffic caused fits its model.
    codes = set()
    for delivery in emulator.deliveries:
        check_webhook(delivery.payload)
        codes.add(delivery.webhook_code)
    assert {"SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE", "TRANSACTIONS_REMOVED"} <= codes


# -- auth, identity, investments, liabilities, income ------------------------------------------


def exercise_products(api, emulator):
    """Every product route: typed successes at US/CA/UK banks and each product error."""
    state = emulator.state
    today = state.now().date()
    full = ("transactions", "auth", "identity", "investments", "liabilities")
    tokens = {
        "ins_109508": state.create_item("ins_109508", full, webhook="https://e.x/h").access_token,
        "ins_43": state.create_item("ins_43", ("auth", "identity")).access_token,
        "ins_117650": state.create_item("ins_117650", ("auth", "identity")).access_token,
    }
    for token in tokens.values():
        numbers = api.auth_get(AuthGetRequest(access_token=token)).numbers
        assert numbers.ach or numbers.eft or (numbers.bacs and numbers.international)
        assert api.identity_get(IdentityGetRequest(access_token=token)).accounts[0].owners
    us = tokens["ins_109508"]
    checking = next(
        a.account_id for a in state.item_for_access_token(us).accounts if a.subtype == "checking"
    )
    api.auth_get(
        AuthGetRequest(access_token=us, options=AuthGetRequestOptions(account_ids=[checking]))
    )
    holdings = api.investments_holdings_get(InvestmentsHoldingsGetRequest(access_token=us))
    assert {s.type for s in holdings.securities} >= {"cash", "equity", "derivative", "etf"}
    window = {"start_date": today - timedelta(days=730), "end_date": today}
    page = api.investments_transactions_get(
        InvestmentsTransactionsGetRequest(
            access_token=us,
            **window,
            options=InvestmentsTransactionsGetRequestOptions(count=500),
        )
    )
    assert page.total_investment_transactions == len(page.investment_transactions) >= 150
    liabilities = api.liabilities_get(LiabilitiesGetRequest(access_token=us)).liabilities
    assert all((liabilities.credit, liabilities.mortgage, liabilities.student))
    api.sandbox_item_set_verification_status(
        SandboxItemSetVerificationStatusRequest(
            access_token=us, account_id=checking, verification_status="automatically_verified"
        )
    )

    # The product errors: not supported, no eligible accounts, not ready, invalid input.
    basic = state.create_item("ins_130016", ("transactions",)).access_token
    auth_only = state.create_item("ins_109508", ("auth",)).access_token
    rux = state.create_item("ins_133502", ("auth",)).access_token
    waiting = state.create_item("ins_109508", full, not_ready=full[1:]).access_token
    calls = {
        "auth": lambda t: api.auth_get(AuthGetRequest(access_token=t)),
        "identity": lambda t: api.identity_get(IdentityGetRequest(access_token=t)),
        "holdings": lambda t: api.investments_holdings_get(
            InvestmentsHoldingsGetRequest(access_token=t)
        ),
        "transactions": lambda t: api.investments_transactions_get(
            InvestmentsTransactionsGetRequest(access_token=t, **window)
        ),
        "liabilities": lambda t: api.liabilities_get(LiabilitiesGetRequest(access_token=t)),
    }
    expected = [
        ("holdings", basic, "PRODUCTS_NOT_SUPPORTED"),
        ("liabilities", basic, "PRODUCTS_NOT_SUPPORTED"),
        ("identity", rux, "PRODUCTS_NOT_SUPPORTED"),
        ("holdings", auth_only, "NO_INVESTMENT_ACCOUNTS"),
        ("transactions", auth_only, "NO_INVESTMENT_ACCOUNTS"),
        ("liabilities", auth_only, "NO_LIABILITY_ACCOUNTS"),
        (
            "auth",
            state.create_item("ins_109508", ("investments",)).access_token,
            "NO_AUTH_ACCOUNTS",
        ),
        *((name, waiting, "PRODUCT_NOT_READY") for name in calls),
    ]
    for name, token, code in expected:
        assert plaid_failure(lambda n=name, t=token: calls[n](t)).error.error_code == code, (
            name,
            code,
        )
    plaid_failure(
        lambda: api.auth_get(
            AuthGetRequest(access_token=us, options=AuthGetRequestOptions(account_ids=["nope"]))
        )
    )
    plaid_failure(
        lambda: api.investments_transactions_get(
            InvestmentsTransactionsGetRequest(
                access_token=us, start_date=today, end_date=today - timedelta(days=1)
            )
        )
    )
    plaid_failure(
        lambda: api.sandbox_item_set_verification_status(
            SandboxItemSetVerificationStatusRequest(
                access_token=basic, account_id=checking, verification_status="verification_expired"
            )
        )
    )
    # Faults hit the new routes like any other.
    emulator.faults.add("rate_limit", path="/auth/get")
    assert plaid_failure(lambda: calls["auth"](us)).error.error_code == "AUTH_LIMIT"
    emulator.faults.add("error", path="/liabilities/get", error_code="INSTITUTION_DOWN")
    assert plaid_failure(lambda: calls["liabilities"](us)).error.error_code == "INSTITUTION_DOWN"

    # The readiness control: a success, and failures.
    for body, ok in (
        ({"access_token": waiting, "product": "auth"}, True),
        ({"access_token": waiting, "product": "investments", "ready": True}, True),
        ({"access_token": waiting, "product": "balance"}, False),
        ({"access_token": waiting, "product": "auth", "ready": "yes"}, False),
        ({"product": "auth"}, False),
    ):
        status, _, answer = post(
            emulator, "/emulator/item/set_product_ready", body, credentials=False
        )
        assert (status == 200) is ok, answer
    calls["auth"](waiting)
    calls["holdings"](waiting)


def exercise_income(api, emulator):
    """The income routes: users, payroll Items by Link and sandbox, payroll data, webhooks."""
    user = api.user_create(UserCreateRequest(client_user_id="fidelity-income"))
    assert user.user_id.startswith("usr_")
    assert user.user_token.startswith("user-sandbox-")
    plaid_failure(lambda: api.user_create(UserCreateRequest(client_user_id="fidelity-income")))
    link_token = api.link_token_create(
        link_token_request(
            products=[Products("income_verification")],
            user_token=user.user_token,
            income_verification=LinkTokenCreateRequestIncomeVerification(
                income_source_types=[IncomeVerificationSourceType("payroll")]
            ),
            webhook="https://example.com/income",
        )
    ).link_token
    status, _, answer = post(
        emulator, "/emulator/link/complete", {"link_token": link_token}, credentials=False
    )
    assert status == 200, answer
    api.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_92",
            initial_products=[Products("income_verification")],
            user_id=user.user_id,
            options=SandboxPublicTokenCreateRequestOptions(
                webhook="https://example.com/income",
                income_verification=SandboxPublicTokenCreateRequestOptionsIncomeVerification(
                    income_source_types=[IncomeVerificationSourceType("payroll")]
                ),
            ),
        )
    )
    payroll = api.credit_payroll_income_get(
        CreditPayrollIncomeGetRequest(user_token=user.user_token)
    )
    assert len(payroll.items) == 2
    first = payroll.items[0].item_id
    only = api.credit_payroll_income_get(
        CreditPayrollIncomeGetRequest(
            user_id=user.user_id, options=CreditPayrollIncomeGetRequestOptions(item_ids=[first])
        )
    )
    assert [i.item_id for i in only.items] == [first]
    api.sandbox_income_fire_webhook(
        SandboxIncomeFireWebhookRequest(
            item_id=first,
            webhook="https://example.com/income",
            webhook_code=SandboxIncomeWebhookFireRequestWebhookCode("INCOME_VERIFICATION"),
            verification_status="VERIFICATION_STATUS_PROCESSING_FAILED",
        )
    )
    # Failures: no user, unknown users, a foreign Item, not ready, a non-payroll Item.
    plaid_failure(
        lambda: api.link_token_create(
            link_token_request(products=[Products("income_verification")])
        )
    )
    plaid_failure(
        lambda: api.credit_payroll_income_get(
            CreditPayrollIncomeGetRequest(
                user_token="user-sandbox-00000000-0000-4000-8000-000000000000"
            )
        )
    )
    plaid_failure(
        lambda: api.credit_payroll_income_get(CreditPayrollIncomeGetRequest(user_id="usr_x"))
    )
    plaid_failure(
        lambda: api.credit_payroll_income_get(
            CreditPayrollIncomeGetRequest(
                user_id=user.user_id, options=CreditPayrollIncomeGetRequestOptions(item_ids=["x"])
            )
        )
    )
    emulator.state.set_product_ready(first, "income_verification", False)
    assert (
        plaid_failure(
            lambda: api.credit_payroll_income_get(
                CreditPayrollIncomeGetRequest(user_id=user.user_id)
            )
        ).error.error_code
        == "PRODUCT_NOT_READY"
    )
    emulator.state.set_product_ready(first, "income_verification")
    bank_item = emulator.state.create_item().item_id
    plaid_failure(
        lambda: api.sandbox_income_fire_webhook(
            SandboxIncomeFireWebhookRequest(
                item_id=bank_item,
                webhook="https://example.com/income",
                webhook_code=SandboxIncomeWebhookFireRequestWebhookCode("INCOME_VERIFICATION"),
            )
        )
    )
    codes = {(d.webhook_type, d.webhook_code) for d in emulator.deliveries}
    assert ("INCOME", "INCOME_VERIFICATION") in codes
    for delivery in emulator.deliveries:
        check_webhook(delivery.payload)
    # Removing the user removes its payroll Items; its client_user_id is free again.
    api.user_remove(UserRemoveRequest(user_token=user.user_token))
    assert first not in emulator.state.items
    plaid_failure(lambda: api.user_remove(UserRemoveRequest(user_id=user.user_id)))
    api.user_create(UserCreateRequest(client_user_id="fidelity-income"))
