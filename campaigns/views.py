from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def campaign_list(request):
    return HttpResponse("TODO")


@login_required
def campaign_detail(request, pk):
    return HttpResponse("TODO")
