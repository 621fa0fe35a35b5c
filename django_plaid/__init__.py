"""dj-plaid: link bank accounts through Plaid in Django."""

__version__ = "0.1.0"
