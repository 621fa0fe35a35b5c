"""The demo's front end: a login page and a home page that links and shows bank accounts.

It is a small reusable Django app so that both the example project (``make demo``) and
the browser tests (``tests/browser/test_demo.py``, which mount it in ``tests/urls.py``)
serve the same page. Everything the page shows it reads through dj-plaid's REST API
(``static/plaid_demo/demo.js``): the page is the reference client for web and mobile apps.
"""
