from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def order_list(request):
    return HttpResponse("TODO")


@login_required
def order_detail(request, pk):
    return HttpResponse("TODO")


@login_required
def customer_orders(request, customer_id):
    return HttpResponse("TODO")
