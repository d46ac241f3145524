"""The bell's number in every page's header: one COUNT on an index, run only when a page shows it, nothing for
anonymous visitors."""

from django.utils.functional import SimpleLazyObject

from retrospector.notifications.selectors import unread_count


def notifications(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": SimpleLazyObject(lambda: unread_count(user))}
