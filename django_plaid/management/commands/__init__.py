"""The ``plaid_*`` commands, one module each."""
