from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    """The baseline: a Django view that answers 200 and does nothing else."""
    return HttpResponse(b'{"received": true}', content_type="application/json")


urlpatterns = [
    path("bare/", bare),
    path("plaid/", include("django_plaid.urls")),
]
