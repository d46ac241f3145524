"""Feedback threads: services (every write) and selectors (every read) of the comments on a retrospective's sections.

Who may do what, in one place:
- reading threads: whoever may read the retrospective (others get 404, whatever the thread);
- commenting (starting a thread, replying, editing one's own comment): while feedback is open (in review, meeting),
  whoever may read it, invited people included; in draft, only those who may edit it (403 for readers); approved and
  done retrospectives are read-only (ReadOnlyError, 409 on `state`);
- resolving and reopening: those who may edit the retrospective (owner, shadow, the team's members), in any state but
  approved and done.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from retrospector.accounts.models import User
from retrospector.accounts.selectors import PERSON_FIELDS, people_by_username
from retrospector.core.anchors import QuoteNotFound, anchor_create, anchor_follow, body_opcodes
from retrospector.core.errors import ConflictError, ReadOnlyError, locked
from retrospector.core.markdown import render_markdown
from retrospector.notifications.models import Kind as NotificationKind
from retrospector.notifications.services import notify
from retrospector.writeups.models import Retrospective, Revision, Section
from retrospector.writeups.selectors import can_edit_retrospective, retrospectives_visible_to

from .models import Comment, Mention, Thread

State = Retrospective.State

COMMENT_MAX = 20_000
FEEDBACK_OPEN = (State.IN_REVIEW, State.MEETING)
READ_ONLY = (State.APPROVED, State.DONE)
THREAD_NOT_VISIBLE = "No such thread, or you may not see it."
COMMENT_NOT_VISIBLE = "No such comment, or you may not see it."
DRAFT_EDITORS_ONLY = (
    "This retrospective is still a draft: only the people who write it can comment until it is sent for review."
)
RESOLVE_FORBIDDEN = "Only the people who can edit this retrospective can resolve or reopen its threads."
EDIT_OWN_ONLY = "You can only edit your own comments."
# `@username`: the characters Django allows in a username; not inside a word or an e-mail address.
_MENTION = re.compile(r"(?<![\w@./+-])@([\w.@+-]+)")


def feedback_closed_message(retrospective: Retrospective) -> str:
    return (
        f"“{retrospective.title}” is {retrospective.get_state_display().lower()}: its feedback is closed and its "
        "threads are read-only."
    )


# --- Rules ------------------------------------------------------------------------------------------------------


def can_comment(user: User, retrospective: Retrospective) -> bool:
    """Whether `user`, who may read `retrospective`, may comment on it now."""
    if retrospective.state in FEEDBACK_OPEN:
        return user.is_authenticated
    if retrospective.state == State.DRAFT:
        return can_edit_retrospective(user, retrospective)
    return False


def can_resolve(user: User, retrospective: Retrospective) -> bool:
    return retrospective.state not in READ_ONLY and can_edit_retrospective(user, retrospective)


def _require_comment(user: User, retrospective: Retrospective) -> None:
    if retrospective.state in READ_ONLY:
        raise ReadOnlyError(feedback_closed_message(retrospective))
    if not can_comment(user, retrospective):
        raise PermissionDenied(DRAFT_EDITORS_ONLY)


def _require_resolve(user: User, retrospective: Retrospective) -> None:
    if retrospective.state in READ_ONLY:
        raise ReadOnlyError(feedback_closed_message(retrospective))
    if not can_edit_retrospective(user, retrospective):
        raise PermissionDenied(RESOLVE_FORBIDDEN)


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationError({"body": "Write a comment."})
    if len(body) > COMMENT_MAX:
        raise ValidationError({"body": f"A comment is at most {COMMENT_MAX:,} characters; this one is {len(body):,}."})
    return body


def _clean_token(client_token: str) -> str:
    token = (client_token or "").strip()
    if len(token) > 64 or any(c.isspace() for c in token):
        raise ValidationError({"client_token": "A client token is up to 64 characters, without spaces."})
    return token


def mentioned_usernames(body: str) -> list[str]:
    """The `@username`s in a comment, each once, in order (a sentence's full stop is not part of the name)."""
    names = (match.group(1).rstrip(".-+@") for match in _MENTION.finditer(body))
    return list(dict.fromkeys(name for name in names if name))


def thread_url(thread: Thread) -> str:
    return f"/retrospectives/{thread.retrospective_id}/#thread-{thread.pk}"


# --- Services ---------------------------------------------------------------------------------------------------


@dataclass
class Posted:
    """A comment written (or, for a second submit with the same client token, the one written the first time)."""

    comment: Comment
    created: bool
    not_notified: list[User] = field(default_factory=list)  # mentioned, but may not see the incident

    @property
    def thread(self) -> Thread:
        return self.comment.thread


def _existing(by: User, token: str) -> Comment | None:
    if not token:
        return None
    return Comment.objects.select_related("thread").filter(author=by, client_token=token).first()


def _create_comment(*, thread: Thread, body: str, by: User, token: str) -> Comment:
    now = timezone.now()
    comment = Comment.objects.create(
        thread=thread, author=by, body=body, html=render_markdown(body), client_token=token
    )
    Thread.objects.filter(pk=thread.pk).update(comment_count=F("comment_count") + 1, last_comment_at=now)
    thread.comment_count += 1
    thread.last_comment_at = now
    # A reply by someone mentioned in the thread answers their mention.
    Mention.objects.filter(comment__thread=thread, user=by, answered_at__isnull=True).exclude(comment=comment).update(
        answered_at=now
    )
    return comment


def _mention(comment: Comment, retrospective: Retrospective, by: User) -> tuple[list[User], list[User]]:
    """Mention rows for the people of the organization named in the comment (new ones only, on an edit); notify those
    who may see the incident. Returns (notified, not notified because they may not see it)."""
    names = mentioned_usernames(comment.body)
    if not names:
        return [], []
    people = [p for p in people_by_username(user=by, usernames=names).values() if p.is_active and p.pk != by.pk]
    already = set(Mention.objects.filter(comment=comment).values_list("user_id", flat=True))
    people = [p for p in people if p.pk not in already]
    if not people:
        return [], []
    result = notify(
        recipients=people,
        kind=NotificationKind.MENTIONED,
        key=f"comment:{comment.pk}:mention",
        title=f"{by.display_name} mentioned you in a {comment.thread.get_kind_display().lower()} thread on "
        f"“{comment.thread.section.title}” of “{retrospective.title}”",
        url=thread_url(comment.thread),
        retrospective=retrospective,
        actor=by,
        body=comment.body[:2000],
    )
    sent = {u.pk for u in result.sent_to}
    Mention.objects.bulk_create(
        [Mention(comment=comment, user=p, notified=p.pk in sent) for p in people], ignore_conflicts=True
    )
    return result.sent_to, result.not_allowed


def _notify_participants(thread: Thread, comment: Comment, by: User, *, skip: set[int]) -> None:
    retrospective = thread.retrospective
    participants = set(
        Comment.objects.filter(thread=thread).exclude(author__isnull=True).values_list("author_id", flat=True)
    )
    if thread.created_by_id:
        participants.add(thread.created_by_id)
    participants -= skip | {by.pk}
    if not participants:
        return
    notify(
        recipients=User.objects.filter(pk__in=participants),
        kind=NotificationKind.REPLIED,
        key=f"thread:{thread.pk}:comment:{comment.pk}",
        title=f"{by.display_name} replied on “{retrospective.title}”",
        url=thread_url(thread),
        retrospective=retrospective,
        actor=by,
        body=comment.body[:2000],
    )


def _section_of(retrospective: Retrospective, key: str) -> Section:
    section = Section.objects.filter(retrospective=retrospective, key=key).first()
    if section is None:
        raise ValidationError({"section": f"This retrospective has no section {key!r}."})
    return section


@transaction.atomic
def thread_start(
    *,
    retrospective: Retrospective,
    section: Section | str,
    kind: str,
    body: str,
    by: User,
    quote: str = "",
    client_token: str = "",
) -> Posted:
    """Start a thread on a section, or on a quoted passage of it, with its first comment. `retrospective` is one `by`
    may read (retrospective_for_feedback_or_404). A second submit with the same client token starts nothing and
    returns the first."""
    _require_comment(by, retrospective)
    token = _clean_token(client_token)
    if existing := _existing(by, token):
        return Posted(existing, created=False)
    if isinstance(section, str):
        section = _section_of(retrospective, section)
    elif section.retrospective_id != retrospective.pk:
        raise ValidationError({"section": "This section is not part of this retrospective."})
    if kind not in Thread.Kind.values:
        raise ValidationError({"kind": f"Choose one of {', '.join(Thread.Kind.values)}."})
    body = _clean_body(body)
    quote = (quote or "").replace("\r\n", "\n").strip()
    if len(quote) > Thread.QUOTE_MAX:
        raise ValidationError({"quote": f"Quote at most {Thread.QUOTE_MAX:,} characters of the section."})
    section = Section.objects.get(pk=section.pk)  # its text as it is now
    thread = Thread(retrospective=retrospective, section=section, kind=kind, created_by=by)
    thread.anchor_version = section.version
    if quote:
        try:
            anchor = anchor_create(section.body, quote, context=Thread.CONTEXT)
        except QuoteNotFound as exc:
            raise ValidationError({"quote": str(exc)}) from None
        thread.quote, thread.anchor_start, thread.anchor_end = anchor.quote, anchor.start, anchor.end
        thread.quote_prefix, thread.quote_suffix = anchor.prefix, anchor.suffix
    try:
        with transaction.atomic():
            thread.save()
            comment = _create_comment(thread=thread, body=body, by=by, token=token)
    except IntegrityError:  # the same token, submitted twice at once: the other request wrote it
        if existing := _existing(by, token):
            return Posted(existing, created=False)
        raise
    thread.retrospective = retrospective
    comment.thread = thread
    _, not_allowed = _mention(comment, retrospective, by)
    return Posted(comment, created=True, not_notified=not_allowed)


@transaction.atomic
def comment_add(*, thread: Thread, body: str, by: User, client_token: str = "") -> Posted:
    """Reply in a thread (one `by` may read). A second submit with the same client token adds nothing."""
    retrospective = thread.retrospective
    _require_comment(by, retrospective)
    token = _clean_token(client_token)
    if existing := _existing(by, token):
        return Posted(existing, created=False)
    body = _clean_body(body)
    try:
        with transaction.atomic():
            comment = _create_comment(thread=thread, body=body, by=by, token=token)
    except IntegrityError:
        if existing := _existing(by, token):
            return Posted(existing, created=False)
        raise
    comment.thread = thread
    notified, not_allowed = _mention(comment, retrospective, by)
    _notify_participants(thread, comment, by, skip={u.pk for u in notified})
    return Posted(comment, created=True, not_notified=not_allowed)


@transaction.atomic
def comment_edit(*, comment: Comment, body: str, base_version: int, by: User) -> Posted:
    """Change one's own comment, only if nobody changed it since `base_version` (ConflictError otherwise, with the
    comment as it is now)."""
    current = locked(Comment.objects.select_related("thread__retrospective"), comment.pk)
    retrospective = current.thread.retrospective
    if current.author_id != by.pk:
        raise PermissionDenied(EDIT_OWN_ONLY)
    _require_comment(by, retrospective)
    body = _clean_body(body)
    if current.version != base_version:
        raise ConflictError(
            f"This comment was changed after you started editing it (you edited version {base_version}; it is now "
            f"version {current.version}).",
            current=current,
        )
    if current.body == body:
        return Posted(current, created=False)
    current.body, current.html = body, render_markdown(body)
    current.version += 1
    current.save(update_fields=["body", "html", "version", "updated_at"])
    _, not_allowed = _mention(current, retrospective, by)
    return Posted(current, created=False, not_notified=not_allowed)


@transaction.atomic
def thread_resolve(*, thread: Thread, resolution: str, by: User, note: str = "") -> Thread:
    """Close a thread as changed, clarified or disagreed, with who, when and an optional note; its starter is told."""
    current = locked(Thread.objects.select_related("retrospective"), thread.pk)
    _require_resolve(by, current.retrospective)
    if resolution not in Thread.Resolution.values:
        raise ValidationError({"resolution": f"Choose one of {', '.join(Thread.Resolution.values)}."})
    note = (note or "").replace("\r\n", "\n").strip()
    if len(note) > COMMENT_MAX:
        raise ValidationError({"note": f"A note is at most {COMMENT_MAX:,} characters."})
    if current.resolved_at is not None and current.resolution == resolution and current.resolution_note == note:
        return current  # resolved the same way twice (a double submit): nothing changes, nobody is told again
    current.resolution, current.resolution_note = resolution, note
    current.resolved_by, current.resolved_at = by, timezone.now()
    current.save(update_fields=["resolution", "resolution_note", "resolved_by", "resolved_at"])
    if current.created_by_id:
        notify(
            recipients=[current.created_by],
            kind=NotificationKind.THREAD_RESOLVED,
            key=f"thread:{current.pk}:resolved:{current.resolved_at.isoformat()}",
            title=f"{by.display_name} resolved your thread on “{current.retrospective.title}” as "
            f"{current.get_resolution_display().lower()}",
            url=thread_url(current),
            retrospective=current.retrospective,
            actor=by,
            body=note[:2000],
        )
    return current


@transaction.atomic
def thread_reopen(*, thread: Thread, by: User) -> Thread:
    current = locked(Thread.objects.select_related("retrospective"), thread.pk)
    if current.retrospective.state in READ_ONLY:
        raise ReadOnlyError(feedback_closed_message(current.retrospective))
    if not (can_edit_retrospective(by, current.retrospective) or current.created_by_id == by.pk):
        raise PermissionDenied("Only the thread's starter and the people who write the retrospective can reopen it.")
    if current.resolved_at is None:
        return current
    current.resolution, current.resolution_note, current.resolved_by, current.resolved_at = "", "", None, None
    current.save(update_fields=["resolution", "resolution_note", "resolved_by", "resolved_at"])
    return current


def threads_reanchor(threads: list[Thread], sections: list[Section]) -> list[Thread]:
    """Carry the anchors of threads made on an older version of their section to the section as it is: one query for
    the old texts, one to save what changed (whatever the number of threads). Returns the threads that changed."""
    by_pk = {section.pk: section for section in sections}
    stale = [t for t in threads if t.quote and t.section_id in by_pk and t.anchor_version < by_pk[t.section_id].version]
    if not stale:
        return []
    wanted = {(t.section_id, t.anchor_version) for t in stale}
    revisions = Revision.objects.filter(
        section_id__in={s for s, _ in wanted}, version__in={v for _, v in wanted}
    ).values_list("section_id", "version", "body")
    old_bodies = {(s, v): body for s, v, body in revisions if (s, v) in wanted}
    opcodes_cache: dict = {}
    for thread in stale:
        section = by_pk[thread.section_id]
        old = old_bodies.get((thread.section_id, thread.anchor_version))
        key = (thread.section_id, thread.anchor_version)
        if old is not None and key not in opcodes_cache:
            opcodes_cache[key] = body_opcodes(old, section.body)
        followed = anchor_follow(
            old_body=old,
            new_body=section.body,
            start=None if thread.outdated else thread.anchor_start,
            end=None if thread.outdated else thread.anchor_end,
            quote=thread.quote,
            prefix=thread.quote_prefix,
            suffix=thread.quote_suffix,
            context=Thread.CONTEXT,
            opcodes=opcodes_cache.get(key),
        )
        thread.anchor_version = section.version
        thread.outdated = followed.outdated
        if not followed.outdated:
            thread.anchor_start, thread.anchor_end = followed.start, followed.end
            thread.quote, thread.quote_prefix, thread.quote_suffix = followed.quote, followed.prefix, followed.suffix
        else:
            thread.anchor_start = thread.anchor_end = None
    Thread.objects.bulk_update(
        stale, ["anchor_start", "anchor_end", "anchor_version", "outdated", "quote", "quote_prefix", "quote_suffix"]
    )
    return stale


# --- Selectors --------------------------------------------------------------------------------------------------


def retrospective_for_feedback_or_404(*, user: User, pk: int) -> Retrospective:
    found = retrospectives_visible_to(user).select_related("incident").filter(pk=pk).first()
    if found is None:
        raise Http404("No such retrospective, or you may not see it.")
    return found


def _with_people(threads: QuerySet[Thread]) -> QuerySet[Thread]:
    # The section's key, title and version, not its text: read with each of 60 threads, a long section's body and
    # HTML cost more than the rest of the rows (threads_reanchor reads the texts it needs from `sections`).
    return threads.select_related("section", "created_by", "resolved_by").defer(
        "section__body", "section__html", "section__guidance"
    )


def sections_of(threads: list[Thread]) -> list[Section]:
    """The sections of these threads with their texts, for threads_reanchor: one query."""
    return list(Section.objects.filter(pk__in={thread.section_id for thread in threads}))


@dataclass(slots=True)
class CommentShown:
    """A comment as a page shows it: a plain row, not a model instance (a page may show hundreds; Django builds a
    model instance in about five times the time). The page adds `author`, `mention_list`, `when` and `edit_url`."""

    FIELDS: ClassVar[tuple[str, ...]] = ("id", "thread_id", "author_id", "html", "version", "created_at")

    pk: int
    thread_id: int
    author_id: int | None
    html: str
    version: int
    created_at: datetime
    author: User | None = None
    mention_list: list = field(default_factory=list)
    when: tuple[str, str] = ("", "")
    edit_url: str = ""


def with_comments(threads, *, bodies: bool = True, open_only: bool = False) -> list[Thread]:
    """The threads, each with `comment_list` (oldest first) and each comment with `mention_list`: two queries however
    many there are (grouped here: Django's prefetch_related costs a related manager per row, 30 ms for 300 comments).
    Without `bodies`, the comments' Markdown is not read (a page shows their HTML). With `open_only`, resolved threads
    come with no comments (the retrospective's page folds them: their conversation is on the thread's own page)."""
    threads = list(threads)
    by_thread: dict[int, list[Comment]] = {thread.pk: [] for thread in threads}
    wanted = [thread.pk for thread in threads if thread.is_open or not open_only]
    comments = Comment.objects.filter(thread_id__in=wanted).order_by("created_at", "id")
    if bodies:
        comments = list(comments)
    else:
        comments = [CommentShown(*row) for row in comments.values_list(*CommentShown.FIELDS)]
    mentions: dict[int, list[Mention]] = defaultdict(list)
    if comments:
        for mention in Mention.objects.filter(comment__thread_id__in=wanted).select_related("user"):
            mentions[mention.comment_id].append(mention)
    # The few people who wrote them and started or resolved the threads, read once (not joined to every row).
    ids = (
        {comment.author_id for comment in comments}
        | {t.created_by_id for t in threads}
        | {t.resolved_by_id for t in threads}
    )
    people = User.objects.only(*PERSON_FIELDS).in_bulk(ids - {None}) if ids - {None} else {}
    for thread in threads:
        thread.created_by = people.get(thread.created_by_id)
        thread.resolved_by = people.get(thread.resolved_by_id)
    for comment in comments:
        comment.author = people.get(comment.author_id)
        comment.mention_list = mentions.get(comment.pk, [])
        by_thread[comment.thread_id].append(comment)
    for thread in threads:
        thread.comment_list = by_thread[thread.pk]
    return threads


def threads_visible_to(user: User) -> QuerySet[Thread]:
    visible = retrospectives_visible_to(user).filter(pk=OuterRef("retrospective_id"))
    return Thread.objects.filter(Exists(visible))


def thread_detail_or_404(*, user: User, pk: int) -> Thread:
    found = _with_people(threads_visible_to(user).select_related("retrospective__incident")).filter(pk=pk).first()
    if found is None:
        raise Http404(THREAD_NOT_VISIBLE)
    return with_comments([found])[0]


def comment_detail_or_404(*, user: User, pk: int) -> Comment:
    visible = retrospectives_visible_to(user).filter(pk=OuterRef("thread__retrospective_id"))
    found = (
        Comment.objects.filter(Exists(visible))
        .select_related("thread__retrospective__incident", "thread__section", "author")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404(COMMENT_NOT_VISIBLE)
    return found


THREAD_FILTERS = ("all", "open", "resolved", "mine")


def threads_of_retrospective(
    *, retrospective: Retrospective, user: User, status: str = "all", section: Section | None = None
) -> QuerySet[Thread]:
    """A retrospective's threads (one the user may read), filtered: open, resolved, or mine (started by me, or where I
    commented or am mentioned). Sections in their order, then the oldest thread first."""
    threads = Thread.objects.filter(retrospective=retrospective)
    if section is not None:
        threads = threads.filter(section=section)
    if status == "open":
        threads = threads.filter(resolved_at__isnull=True)
    elif status == "resolved":
        threads = threads.filter(resolved_at__isnull=False)
    elif status == "mine":
        mine = Comment.objects.filter(thread=OuterRef("pk")).filter(Q(author=user) | Q(mentions__user=user))
        threads = threads.filter(Q(created_by=user) | Exists(mine))
    return _with_people(threads).order_by("section__position", "created_at", "id")


def threads_count(*, retrospective: Retrospective) -> dict[str, int]:
    """How many threads a retrospective (one the user may read) has, open and in all: one query."""
    return Thread.objects.filter(retrospective=retrospective).aggregate(
        total=Count("pk"), open=Count("pk", filter=Q(resolved_at__isnull=True))
    )


def threads_for_page(*, retrospective: Retrospective, sections: list[Section], user: User) -> dict[int, list[Thread]]:
    """Every thread of a retrospective by section id, for its page: anchors brought up to date with the sections (in
    one batch), the open threads' comments, their authors and mentions prefetched (resolved threads are folded on the
    page, without their comments). A constant number of queries."""
    # Not threads_of_retrospective: the page groups threads by section itself and needs no section rows with them.
    listed = Thread.objects.filter(retrospective=retrospective).order_by("section__position", "created_at", "id")
    threads = with_comments(listed, bodies=False, open_only=True)
    threads_reanchor(threads, sections)
    by_section: dict[int, list[Thread]] = defaultdict(list)
    for thread in threads:
        by_section[thread.section_id].append(thread)
    return by_section
