from datetime import UTC, timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from retrospector.core.forms import add_service_errors
from retrospector.core.http import client_address, wait_in_words

from .forms import ImageHostsForm, MembershipForm, PreferencesForm, TeamForm, TokenForm
from .models import ApiToken, Membership, Role, User
from .selectors import can_manage_team, people_in_organization, team_by_slug, teams_visible_to
from .services import (
    auth_throttle_attempt,
    auth_throttle_keys_for_login,
    auth_throttle_succeeded,
    membership_remove,
    membership_set,
    organization_image_hosts_set,
    team_create,
    token_create,
    token_revoke,
    user_update_preferences,
)


def throttled_message(retry_after: int) -> str:
    """When to try again, in words; the same whichever key is blocked, so it never tells whether an account exists."""
    at = timezone.now().astimezone(UTC) + timedelta(seconds=retry_after)
    return f"Too many failed attempts to log in. Try again in {wait_in_words(retry_after)} (at {at:%H:%M:%S} UTC)."


class LoginView(auth_views.LoginView):
    """Django's log-in, behind the log-in throttle: while the account or the client address is blocked, even the right
    password is refused (HTTP 429 with Retry-After) and the password is not checked."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        keys = auth_throttle_keys_for_login(username=username, address=client_address(request))
        self.throttle_attempt = auth_throttle_attempt(keys=keys)
        if retry_after := self.throttle_attempt.retry_after:
            form = self.get_form_class()(request, initial={"username": username[:150]})
            context = self.get_context_data(form=form, throttled=throttled_message(retry_after))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        auth_throttle_succeeded(attempt=self.throttle_attempt)
        return super().form_valid(form)


@login_required
def preferences(request):
    user = request.user
    form = PreferencesForm(
        request.POST or None, initial={"full_name": user.full_name, "email": user.email, "time_zone": user.time_zone}
    )
    if request.method == "POST" and form.is_valid():
        try:
            user_update_preferences(user=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Preferences saved.")
            return redirect("preferences")
    return render(request, "accounts/preferences.html", {"form": form})


@login_required
def tokens(request):
    form = TokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _, new_token = token_create(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    return render(
        request, "accounts/tokens.html", {"form": form, "tokens": request.user.api_tokens.all(), "new_token": new_token}
    )


@login_required
@require_POST
def token_revoke_view(request, pk):
    token = ApiToken.objects.filter(pk=pk, user=request.user).first()
    if token is None:
        raise Http404("No such token.")
    token_revoke(token=token, by=request.user)
    messages.success(request, f"Revoked “{token.name}”.")
    return redirect("tokens")


@login_required
def team_list(request):
    teams = teams_visible_to(request.user).prefetch_related("memberships__user")
    form = TeamForm(request.POST or None) if request.user.is_org_admin else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only organization admins can create teams.")
        if form.is_valid():
            try:
                team = team_create(organization=request.user.organization, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Created {team.name}.")
                return redirect("team_detail", slug=team.slug)
    return render(request, "accounts/team_list.html", {"teams": teams, "form": form})


@login_required
def team_detail(request, slug):
    team = team_by_slug(user=request.user, slug=slug)
    if team is None:
        raise Http404("No such team.")
    can_manage = can_manage_team(request.user, team)
    memberships = Membership.objects.filter(team=team).select_related("user").order_by("user__username")
    form = MembershipForm(request.POST or None, people=people_in_organization(request.user))
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Only the team's admins can change its members.")
        action = request.POST.get("action", "set")
        if action == "checks":
            from .services import team_checks_config_set

            try:
                team_checks_config_set(team=team, text=request.POST.get("checks_config", ""), by=request.user)
            except ValidationError as exc:
                messages.error(request, "Checks settings not saved: " + " ".join(exc.messages))
            else:
                messages.success(request, "Write-up checks settings saved.")
            return redirect("team_detail", slug=slug)
        try:
            if action == "remove":
                user = User.objects.filter(pk=request.POST.get("user"), organization=request.user.organization).first()
                if user is None:
                    raise ValidationError({"user": "Unknown person."})
                membership_remove(team=team, user=user, by=request.user)
                messages.success(request, f"Removed {user} from {team.name}.")
                return redirect("team_detail", slug=slug)
            if form.is_valid():
                membership_set(
                    team=team, user=form.cleaned_data["user"], role=form.cleaned_data["role"], by=request.user
                )
                messages.success(request, "Membership saved.")
                return redirect("team_detail", slug=slug)
        except ValidationError as exc:
            if action == "remove":
                messages.error(request, " ".join(exc.messages))
                return redirect("team_detail", slug=slug)
            add_service_errors(form, exc)
    templates = team.templates.all()
    import yaml

    checks_text = yaml.safe_dump(team.checks_config, sort_keys=False) if team.checks_config else ""
    return render(
        request,
        "accounts/team_detail.html",
        {
            "team": team,
            "memberships": memberships,
            "form": form,
            "can_manage": can_manage,
            "roles": Role.choices,
            "templates": templates,
            "checks_text": checks_text,
        },
    )


@login_required
def people(request):
    from retrospector.core.paging import paginate

    from .forms import NewPersonForm
    from .services import user_create, user_set_access

    if not request.user.is_org_admin:
        raise PermissionDenied("Only organization admins manage people.")
    form = NewPersonForm(request.POST if request.POST.get("action") == "create" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create":
                if form.is_valid():
                    person = user_create(organization=request.user.organization, by=request.user, **form.cleaned_data)
                    messages.success(request, f"Added {person.username}. Add them to a team so they can write.")
                    return redirect("people")
            else:
                person = User.objects.filter(
                    pk=request.POST.get("user"), organization=request.user.organization
                ).first()
                if person is None:
                    raise Http404("No such person.")
                changes = {
                    "deactivate": {"is_active": False},
                    "activate": {"is_active": True},
                    "make_admin": {"is_org_admin": True},
                    "remove_admin": {"is_org_admin": False},
                }.get(action)
                if changes is None:
                    raise ValidationError({"action": "Unknown action."})
                user_set_access(user=person, by=request.user, **changes)
                messages.success(request, f"Updated {person.username}.")
                return redirect("people")
        except ValidationError as exc:
            if action == "create":
                add_service_errors(form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
                return redirect("people")
    everyone = (
        User.objects.filter(organization=request.user.organization)
        .prefetch_related("memberships__team")
        .order_by("-is_active", "username")
    )
    return render(request, "accounts/people.html", {"page": paginate(request, everyone, per_page=50), "form": form})


@login_required
def organization_settings(request):
    if not request.user.is_org_admin:
        raise PermissionDenied("Only organization admins change the organization's settings.")
    organization = request.user.organization
    form = ImageHostsForm(request.POST or None, initial={"image_hosts": "\n".join(organization.image_hosts)})
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            organization_image_hosts_set(
                organization=organization, text=form.cleaned_data["image_hosts"], by=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 422
        else:
            messages.success(request, "Organization settings saved.")
            return redirect("organization_settings")
    return render(request, "accounts/organization.html", {"form": form, "organization": organization}, status=status)
