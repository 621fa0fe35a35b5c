from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("plaid/", include("django_plaid.urls")),
    # The example project's front end, for tests/browser/test_demo.py.
    path("demo/", include("example_project.plaid_demo.urls")),
]
