"""dj-plaid's template tag libraries: ``{% load plaid %}``."""
