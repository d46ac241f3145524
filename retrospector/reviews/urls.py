"""The review's pages. Included before writeups' URLs in retrospector/urls.py, so a path here wins over the same
path there."""

from django.urls import path

from . import thread_views

urlpatterns: list = []

# Feedback threads.
urlpatterns += [
    path("retrospectives/<int:pk>/threads", thread_views.thread_list, name="thread_list"),
    path("retrospectives/<int:pk>/sections/<slug:key>/threads", thread_views.section_threads, name="section_threads"),
    path(
        "retrospectives/<int:pk>/sections/<slug:key>/threads/new", thread_views.thread_start_view, name="thread_start"
    ),
    path("threads/<int:thread_pk>/comments", thread_views.comment_add_view, name="thread_comment_add"),
    path("threads/<int:thread_pk>/resolve", thread_views.thread_resolve_view, name="thread_resolve"),
    path("threads/<int:thread_pk>/reopen", thread_views.thread_reopen_view, name="thread_reopen"),
    path("comments/<int:comment_pk>/edit", thread_views.comment_edit_view, name="comment_edit"),
]
