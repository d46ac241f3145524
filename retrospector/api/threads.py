"""Feedback threads: /api/v1/retrospectives/{id}/threads, /api/v1/threads/{id}, its comments and its resolution."""

from datetime import datetime
from typing import Annotated

from ninja import Field, Query, Router, Schema, Status

from retrospector.core.errors import ConflictError
from retrospector.reviews.models import Thread
from retrospector.reviews.threads import (
    COMMENT_MAX,
    THREAD_FILTERS,
    comment_add,
    comment_detail_or_404,
    comment_edit,
    retrospective_for_feedback_or_404,
    sections_of,
    thread_detail_or_404,
    thread_reopen,
    thread_resolve,
    thread_start,
    threads_of_retrospective,
    threads_reanchor,
    with_comments,
)

from .choices import choices_literal
from .contract import ErrorOut, InSchema, responses
from .types import Id, Version

router = Router(tags=["feedback"])

ThreadKind = choices_literal(Thread.Kind)
ThreadResolution = choices_literal(Thread.Resolution)
ThreadFilter = choices_literal(THREAD_FILTERS)

COMMENT_RULES = (
    "Anyone who may read the retrospective may comment while it is in review or in the meeting (invited people "
    "included); in draft only the people who can edit it (403 for other readers); an approved or done retrospective "
    "is read-only (409 on `state`). A retrospective you may not see is a 404. `@username` mentions notify the people "
    "named who may see the incident; a comment's `mentions` says who was not notified (`notified: false`)."
)
TOKEN_RULE = (
    "Optional: a token of your own for this request. Sending the same token again (a retry, a double submit) writes "
    "nothing and answers the comment written the first time, with 200 instead of 201."
)
Body = Annotated[str, Field(min_length=1, max_length=COMMENT_MAX, description="Markdown, at most 20,000 characters.")]
# No space of any kind: the service refuses what Python calls space, which includes the separators \x1c-\x1f that a
# regular expression's \s does not match (in the validator and in the document), so they are named too; and the next
# line (\x85), which the validator's \s matches and the document's (ECMA-262) does not: a client that trusts the
# document would send it and be refused.
ClientToken = Annotated[str, Field(max_length=64, pattern=r"^[^\s\x1c-\x1f\x85]*$", description=TOKEN_RULE)]


class MentionOut(Schema):
    username: str
    notified: bool = Field(..., description="False when they may not see the incident: nobody told them.")


class CommentOut(Schema):
    id: int
    thread_id: int
    author: str | None
    body: str
    html: str = Field(..., description="The body rendered and sanitized.")
    version: int
    created_at: datetime
    updated_at: datetime
    mentions: list[MentionOut]


class ThreadOut(Schema):
    id: int
    retrospective_id: int
    section: str = Field(..., description="The section's key.")
    kind: ThreadKind
    quote: str = Field(..., description="The passage commented on, as written in the section; empty for all of it.")
    anchor_start: int | None = Field(..., description="Where the passage starts in the section's body (characters).")
    anchor_end: int | None
    anchor_version: int = Field(..., description="The section's version the anchor was found in.")
    outdated: bool = Field(..., description="The passage is no longer in the section; `quote` is the old one.")
    created_by: str | None
    created_at: datetime
    comment_count: int
    last_comment_at: datetime | None
    resolution: ThreadResolution | None = Field(..., description="How it was resolved; null while it is open.")
    resolution_note: str
    resolved_by: str | None
    resolved_at: datetime | None
    url: str
    comments: list[CommentOut]


class ThreadIn(InSchema):
    section: str = Field(..., min_length=1, max_length=100, description="The key of one of its sections.")
    quote: str = Field(
        "",
        max_length=Thread.QUOTE_MAX,
        description="Optional: words of the section (as written, or as they read once rendered); not in it: 422.",
    )
    kind: ThreadKind
    body: Body
    client_token: ClientToken = ""


class CommentIn(InSchema):
    body: Body
    client_token: ClientToken = ""


class CommentPatch(InSchema):
    body: Body
    base_version: Version = Field(..., description="The version you edited; a stale one gets 409 with the current.")


class ResolveIn(InSchema):
    resolution: ThreadResolution
    note: str = Field("", max_length=COMMENT_MAX, description="Optional: why, shown with the resolution.")


class ThreadQuery(Schema):
    filter: ThreadFilter = Field(
        "all", description="open, resolved, or mine: started by you, or where you commented or are mentioned."
    )


class CommentConflictOut(ErrorOut):
    """409: on `base_version` (stale), with `current`, the comment as it is now; on `state` (the retrospective is
    approved or done: read-only), without it."""

    current: CommentOut | None = Field(None, description="The comment as it is now, on a stale `base_version`.")


def _name(user) -> str | None:
    return user.username if user else None


def comment_out(comment) -> dict:
    return {
        "id": comment.pk,
        "thread_id": comment.thread_id,
        "author": _name(comment.author),
        "body": comment.body,
        "html": comment.html,
        "version": comment.version,
        "created_at": comment.created_at,
        "updated_at": comment.updated_at,
        "mentions": [{"username": m.user.username, "notified": m.notified} for m in comment.mention_list],
    }


def thread_out(thread) -> dict:
    return {
        "id": thread.pk,
        "retrospective_id": thread.retrospective_id,
        "section": thread.section.key,
        "kind": thread.kind,
        "quote": thread.quote,
        "anchor_start": thread.anchor_start,
        "anchor_end": thread.anchor_end,
        "anchor_version": thread.anchor_version,
        "outdated": thread.outdated,
        "created_by": _name(thread.created_by),
        "created_at": thread.created_at,
        "comment_count": thread.comment_count,
        "last_comment_at": thread.last_comment_at,
        "resolution": thread.resolution or None,
        "resolution_note": thread.resolution_note,
        "resolved_by": _name(thread.resolved_by),
        "resolved_at": thread.resolved_at,
        "url": f"/retrospectives/{thread.retrospective_id}/#thread-{thread.pk}",
        "comments": [comment_out(c) for c in thread.comment_list],
    }


def _thread(request, pk: int) -> dict:
    thread = thread_detail_or_404(user=request.user, pk=pk)
    threads_reanchor([thread], sections_of([thread]))
    return thread_out(thread)


def _comment(request, pk: int) -> dict:
    from retrospector.reviews.models import Comment, Mention

    comment = Comment.objects.select_related("author").get(pk=pk)
    comment.mention_list = list(Mention.objects.filter(comment=comment).select_related("user"))
    return comment_out(comment)


@router.get(
    "/retrospectives/{retrospective_id}/threads",
    response=responses(200, list[ThreadOut], errors=(404, 422)),
    summary="A retrospective's feedback threads, with their comments",
    description="Sections in their order, then the oldest thread first. 404 for a retrospective you may not see.",
)
def list_threads(request, retrospective_id: Id, query: Query[ThreadQuery]):
    retrospective = retrospective_for_feedback_or_404(user=request.user, pk=retrospective_id)
    listed = threads_of_retrospective(retrospective=retrospective, user=request.user, status=query.filter)
    threads = with_comments(listed)
    threads_reanchor(threads, sections_of(threads))
    return [thread_out(t) for t in threads]


@router.post(
    "/retrospectives/{retrospective_id}/threads",
    response=responses(
        {201: ThreadOut, 200: ThreadOut}, errors=(400, 413, 403, 404, 409, 422), overrides={409: ErrorOut}
    ),
    summary="Start a thread on a section or on a quoted passage",
    description=f"{COMMENT_RULES} An unknown section, or a quote that is not in it, is a 422 naming the field. "
    "201 with the thread; 200 with the thread already started when `client_token` was sent before.",
)
def start_thread(request, retrospective_id: Id, payload: ThreadIn):
    retrospective = retrospective_for_feedback_or_404(user=request.user, pk=retrospective_id)
    posted = thread_start(
        retrospective=retrospective,
        section=payload.section,
        kind=payload.kind,
        quote=payload.quote,
        body=payload.body,
        client_token=payload.client_token,
        by=request.user,
    )
    return Status(201 if posted.created else 200, _thread(request, posted.comment.thread_id))


@router.get(
    "/threads/{thread_id}",
    response=responses(200, ThreadOut, errors=(404, 422)),
    summary="Read a thread with its comments",
    description="404 when you may not see its retrospective.",
)
def read_thread(request, thread_id: Id):
    return _thread(request, thread_id)


@router.post(
    "/threads/{thread_id}/comments",
    response=responses(
        {201: CommentOut, 200: CommentOut}, errors=(400, 413, 403, 404, 409, 422), overrides={409: ErrorOut}
    ),
    summary="Reply in a thread",
    description=f"{COMMENT_RULES} The thread's participants are told. 201 with the comment; 200 with the one "
    "written before when `client_token` was sent before.",
)
def add_comment(request, thread_id: Id, payload: CommentIn):
    thread = thread_detail_or_404(user=request.user, pk=thread_id)
    posted = comment_add(thread=thread, body=payload.body, client_token=payload.client_token, by=request.user)
    return Status(201 if posted.created else 200, _comment(request, posted.comment.pk))


@router.patch(
    "/comments/{comment_id}",
    response=responses(200, CommentOut, errors=(400, 413, 403, 404, 409, 422), overrides={409: CommentConflictOut}),
    summary="Edit your comment (409 when base_version is stale)",
    description="Only your own comments (403 otherwise), while you may comment (see starting a thread). 409 on "
    "`base_version` when it was changed since the version you edited, with `current`: the comment as it is now; "
    "409 on `state` when the retrospective is approved or done.",
)
def edit_comment(request, comment_id: Id, payload: CommentPatch):
    comment = comment_detail_or_404(user=request.user, pk=comment_id)
    try:
        posted = comment_edit(comment=comment, body=payload.body, base_version=payload.base_version, by=request.user)
    except ConflictError as exc:
        from . import api

        current = _comment(request, exc.current.pk)
        return api.create_response(
            request, {"detail": str(exc), "field": "base_version", "current": current}, status=409
        )
    return _comment(request, posted.comment.pk)


@router.post(
    "/threads/{thread_id}/resolve",
    response=responses(200, ThreadOut, errors=(400, 413, 403, 404, 409, 422), overrides={409: ErrorOut}),
    summary="Resolve a thread as changed, clarified or disagreed",
    description="By the people who can edit the retrospective (403 for other readers); who and when are recorded and "
    "the thread's starter is told. An approved or done retrospective is read-only (409 on `state`).",
)
def resolve_thread(request, thread_id: Id, payload: ResolveIn):
    thread = thread_detail_or_404(user=request.user, pk=thread_id)
    thread_resolve(thread=thread, resolution=payload.resolution, note=payload.note, by=request.user)
    return _thread(request, thread_id)


@router.post(
    "/threads/{thread_id}/reopen",
    response=responses(200, ThreadOut, errors=(403, 404, 409, 422), overrides={409: ErrorOut}),
    summary="Reopen a resolved thread",
    description="By the people who can edit the retrospective, or the thread's starter (403 otherwise). An approved "
    "or done retrospective is read-only (409 on `state`).",
)
def reopen_thread(request, thread_id: Id):
    thread = thread_detail_or_404(user=request.user, pk=thread_id)
    thread_reopen(thread=thread, by=request.user)
    return _thread(request, thread_id)
