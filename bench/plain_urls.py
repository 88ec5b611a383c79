"""The product's URLs plus the benchmark's reference: a plain Django page rendering 50 rows
of the customers table (no login, no selector, no partials), served by the same server in
the same run, so every page's figures read as a ratio to it (bench/pages.py, issue 14).
Only the benchmark uses this URLconf (bench/settings.py); the product's never lists it."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from crm.urls import handler400, handler404, handler500
from crm.urls import urlpatterns as product_urlpatterns
from customers.models import Customer

PLAIN_PATH = "bench/plain/"
ROWS = 50

TEMPLATE = engines["django"].from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Customers</title></head><body>
<table><thead><tr><th>Name</th><th>Email</th><th>Phone</th><th>Region</th><th>Status</th></tr>
</thead><tbody>
{% for c in customers %}<tr><td>{{ c.name }}</td><td>{{ c.email }}</td><td>{{ c.phone }}</td>
<td>{{ c.region }}</td><td>{{ c.status }}</td></tr>
{% endfor %}</tbody></table></body></html>"""
)


def plain(request):
    customers = Customer.objects.order_by("id")[:ROWS]
    return HttpResponse(TEMPLATE.render({"customers": customers}, request))


urlpatterns = [path(PLAIN_PATH, plain, name="bench_plain"), *product_urlpatterns]

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]
