from django import template

from backoffice.reports_margin import all_reports

register = template.Library()


@register.simple_tag
def store_report_links(request):
    """The reports the user may open, for the admin index and the reports' own navigation."""
    return all_reports(request)
