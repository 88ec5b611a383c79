from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from customers.selectors import customers_visible_to, open_tasks_for


@login_required
def dashboard(request):
    tasks = open_tasks_for(user=request.user)[:10]
    recent = (
        customers_visible_to(request.user)
        .select_related("owner")
        .order_by("-created_at", "-id")[:10]
    )
    return render(
        request,
        "dashboard.html",
        {"tasks": tasks, "recent_customers": recent, "today": timezone.localdate()},
    )


def healthz(request):
    """For load balancers: the app answers and its database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
