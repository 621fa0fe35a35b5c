"""dj-plaid's management commands (``manage.py plaid_*``)."""
