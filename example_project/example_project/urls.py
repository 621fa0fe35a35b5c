from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("plaid/", include("django_plaid.urls")),
    # The demo's front end: the login page and the home page (plaid_demo/).
    path("", include("plaid_demo.urls")),
]
