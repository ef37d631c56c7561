from .selectors import dealership_list_for_user, dealerships_for_user

CURRENT_STORE_SESSION_KEY = "current_dealership_id"


def current_dealership_id(request):
    """The store picked in the nav switcher, if it is still one of the user's stores."""
    store_id = request.session.get(CURRENT_STORE_SESSION_KEY)
    if store_id is None:
        return None
    if not dealerships_for_user(user=request.user).filter(pk=store_id).exists():
        return None
    return store_id


def stores(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    user_stores = dealership_list_for_user(user=request.user)
    current = request.session.get(CURRENT_STORE_SESSION_KEY)
    return {
        "user_stores": user_stores,
        "current_store": next((s for s in user_stores if s.pk == current), None),
    }
