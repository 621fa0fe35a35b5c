"""Plaid's other products: Auth, Identity, Investments, Liabilities and Income.

Each product has its models (``models.py``), its fetch-and-store flow (``services.py``),
its REST endpoints (``api.py``) and admin screens (in ``django_plaid.admin``). Data that
is as sensitive as an access token (account and routing numbers, identity, pay stubs) is
encrypted at rest and masked wherever it is shown, unless the host opts in
(``masking.py``).
"""
