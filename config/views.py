"""Plain HTTP endpoints of the back office itself."""
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from offline_exchange.services.health import health_check


@require_GET
def healthz(request):
    """For load balancers and monitoring: no login, nothing secret."""
    healthy, details = health_check()
    details["status"] = "ok" if healthy else "fail"
    return JsonResponse(details, status=200 if healthy else 503, json_dumps_params={"ensure_ascii": False})
