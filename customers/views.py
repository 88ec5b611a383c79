from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from . import selectors


@login_required
def customer_list(request):
    return HttpResponse("TODO")


@login_required
def customer_create(request):
    return HttpResponse("TODO")


@login_required
def my_tasks(request):
    return HttpResponse("TODO")


@login_required
def customer_detail(request, pk):
    customer = selectors.customer_get(user=request.user, customer_id=pk)
    return HttpResponse(customer.name)
