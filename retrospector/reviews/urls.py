"""The review's pages. Included before writeups' URLs in retrospector/urls.py, so a path here wins over the same
path there."""

from django.urls import path

from . import account_views, org_process_views, process_views, question_views, survey_views, thread_views

urlpatterns: list = []

# Feedback threads.
urlpatterns += [
    path("retrospectives/<int:pk>/threads", thread_views.thread_list, name="thread_list"),
    path("retrospectives/<int:pk>/sections/<slug:key>/threads", thread_views.section_threads, name="section_threads"),
    path(
        "retrospectives/<int:pk>/sections/<slug:key>/threads/new", thread_views.thread_start_view, name="thread_start"
    ),
    path("threads/<int:thread_pk>/", thread_views.thread_detail_view, name="thread_detail"),
    path("threads/<int:thread_pk>/comments", thread_views.comment_add_view, name="thread_comment_add"),
    path("threads/<int:thread_pk>/resolve", thread_views.thread_resolve_view, name="thread_resolve"),
    path("threads/<int:thread_pk>/reopen", thread_views.thread_reopen_view, name="thread_reopen"),
    path("comments/<int:comment_pk>/edit", thread_views.comment_edit_view, name="comment_edit"),
]

# Responders' accounts and discussion questions (issue 14, items 2 and 3).
urlpatterns += [
    path("retrospectives/<int:pk>/accounts/mine", account_views.account_write_view, name="account_write"),
    path("retrospectives/<int:pk>/accounts/requests", account_views.account_requests, name="account_requests"),
    path(
        "retrospectives/<int:pk>/accounts/requests/<int:request_pk>/withdraw",
        account_views.account_request_withdraw_view,
        name="account_request_withdraw",
    ),
    path("retrospectives/<int:pk>/questions/", question_views.questions_page, name="questions"),
    path("retrospectives/<int:pk>/questions/check", question_views.question_check, name="question_check"),
    path(
        "retrospectives/<int:pk>/questions/<int:question_pk>/edit", question_views.question_edit, name="question_edit"
    ),
    path(
        "retrospectives/<int:pk>/questions/<int:question_pk>/move",
        question_views.question_move_view,
        name="question_move",
    ),
    path(
        "retrospectives/<int:pk>/questions/<int:question_pk>/delete",
        question_views.question_delete_view,
        name="question_delete",
    ),
]

# Process, assignment and states.
urlpatterns += [
    path("teams/<slug:slug>/process", process_views.team_process, name="team_process"),
    path("incidents/<int:incident_pk>/retrospectives/new", process_views.retrospective_new),
    path("retrospectives/<int:pk>/assign", process_views.assignment),
    path("retrospectives/<int:pk>/state", process_views.state_change),
    path("retrospectives/<int:pk>/send-for-review", process_views.send_for_review, name="review_send"),
]

# The organization's standard process (issue 15, item 6).
urlpatterns += [
    path("process/", org_process_views.org_process, name="org_process"),
    path("process/people", org_process_views.process_onboarding, name="process_onboarding"),
    path("retrospectives/<int:pk>/survey", survey_views.retrospective_survey, name="retrospective_survey"),
]
