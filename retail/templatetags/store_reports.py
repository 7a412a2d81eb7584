from django import template

register = template.Library()


@register.simple_tag
def store_report_links(request):
    """The reports the user may open, for the admin index."""
    from ..reports_views import report_list
    return report_list(request)
