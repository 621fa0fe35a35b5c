"""The demo's pages: include them at the site's root (the example project) or anywhere."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

app_name = "plaid_demo"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="plaid_demo/login.html",
            redirect_authenticated_user=True,
            next_page=reverse_lazy("plaid_demo:home"),
        ),
        name="login",
    ),
    path(
        "logout/",
        auth_views.LogoutView.as_view(next_page=reverse_lazy("plaid_demo:login")),
        name="logout",
    ),
]
