from core.roles import user_role


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_role": user_role(user),
        "user_sees_all_customers": user.has_perm("customers.view_all_customers"),
    }
