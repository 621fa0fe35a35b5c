from django.apps import AppConfig


class PlaidDemoConfig(AppConfig):
    # The example project imports the app as ``plaid_demo``; the test suite, from the
    # repository's root, as ``example_project.plaid_demo``: the same app under either name.
    name = __name__.rpartition(".")[0]
    label = "plaid_demo"
    verbose_name = "dj-plaid demo"
