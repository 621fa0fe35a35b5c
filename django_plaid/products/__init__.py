"""Plaid's other products: Auth, Identity, Investments, Liabilities and Income.

This package holds their flows (``services.py``: one fetch-and-store flow per product)
and their masking rules (``masking.py``). Like the core's, their models are in
``django_plaid.models`` (``models.py`` here re-exports them for older imports), their
REST endpoints in ``django_plaid.api.products`` and their admin screens in
``django_plaid.admin.products``; ``django_plaid.registry`` lists which products exist.
Data as sensitive as an access token (account and routing numbers, identity, pay stubs)
is encrypted at rest and masked wherever it is shown, unless the host opts in.
"""
