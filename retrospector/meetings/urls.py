"""The meeting's pages. Included before the reviews' and writeups' URLs in retrospector/urls.py."""

urlpatterns: list = []

# --- Final approval (issue 15 part 5) ---
from django.urls import path  # noqa: E402

from . import approval_views  # noqa: E402

urlpatterns += [
    path("retrospectives/<int:pk>/approve", approval_views.approval_page, name="approval"),
    path("retrospectives/<int:pk>/reopen", approval_views.reopen_page, name="approval_reopen"),
]
