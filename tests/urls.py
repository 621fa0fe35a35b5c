import re
from pathlib import Path

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path, reverse
from django.views.decorators.csrf import ensure_csrf_cookie

#: The page the browser tests open Link from: the template tag and the helper, as a host has.
LINK_HOST = Path(__file__).parent / "templates" / "link_host.html"


@ensure_csrf_cookie
def link_host(request: HttpRequest) -> HttpResponse:
    # Read from the file: tests/ is not an app, so no template loader looks there.
    template = engines["django"].from_string(LINK_HOST.read_text())
    api_base = reverse("django_plaid:link-token").removesuffix("link-token/")
    return HttpResponse(template.render({"api_base": api_base}, request))


#: The docs' copy-paste page: docs/link.md's first ``django`` block that opens Link.
LINK_DOCS = Path(__file__).parents[1] / "docs" / "link.md"


@ensure_csrf_cookie
def link_docs_example(request: HttpRequest) -> HttpResponse:
    blocks = re.findall(r"```django\n(.*?)```", LINK_DOCS.read_text(), re.DOTALL)
    page = next(block for block in blocks if "DjangoPlaid.createLink" in block)
    return HttpResponse(engines["django"].from_string(page).render({}, request))


urlpatterns = [
    path("admin/", admin.site.urls),
    path("plaid/", include("django_plaid.urls")),
    # The example project's front end, for tests/browser/test_demo.py.
    path("demo/", include("example_project.plaid_demo.urls")),
    path("link-host/", link_host, name="link-host"),
    path("link-docs-example/", link_docs_example, name="link-docs-example"),
]
