from django import template

from backoffice.reports_views import report_list

register = template.Library()


@register.simple_tag
def store_report_links(request):
    """The reports the user may open, for the admin index."""
    return report_list(request)
