from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import nominal_get_for_user, nominal_list_for_user, nominal_records


@login_required
def nominal_list(request):
    query = request.GET.get("q", "")[:100]
    nominals, total = nominal_list_for_user(user=request.user, query=query, request=request)
    return render(request, "analytics/nominal_list.html", {"nominals": nominals, "total": total, "q": query})


@login_required
def nominal_detail(request, nominal_id: str):
    nominal = nominal_get_for_user(user=request.user, nominal_id=nominal_id, request=request)
    return render(
        request,
        "analytics/nominal_detail.html",
        {"nominal": nominal, "links": nominal_records(nominal)[:200]},
    )
