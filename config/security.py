"""Response headers the whole site sends (the rest come from Django's SecurityMiddleware)."""
from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on every HTML page (the admin, the reports, the error pages): a script
    slipped into a page through some name or comment would not run, and no other site may frame the
    admin. SOAP answers and files are not pages and get none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response and \
                response.get("Content-Type", "").startswith("text/html"):
            response["Content-Security-Policy"] = policy
        return response
