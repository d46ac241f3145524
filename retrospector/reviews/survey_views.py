"""The three questions of "how did the retrospective go", answered by its participants."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from retrospector.core.forms import add_service_errors
from retrospector.writeups.selectors import retrospective_detail_or_404

from .forms import SurveyForm
from .survey import SURVEY_NOT_PARTICIPANT, SURVEY_NOT_YET, SURVEY_STATES, may_answer, survey_answer, survey_response_of


@login_required
def retrospective_survey(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    mine = survey_response_of(retrospective, request.user)
    is_open = retrospective.state in SURVEY_STATES
    allowed = is_open and may_answer(request.user, retrospective)
    initial = {"useful": mine.useful, "fair": mine.fair, "change": mine.change} if mine else None
    form = SurveyForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                survey_answer(
                    retrospective=retrospective,
                    by=request.user,
                    useful=data["useful"],
                    fair=data["fair"],
                    change=data["change"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Thank you: your answer counts in the team's results, without your name.")
                return redirect("retrospective_survey", pk=retrospective.pk)
        status = 422 if allowed else 403
    elif not allowed:
        status = 200  # the page says why there is no form
    return render(
        request,
        "reviews/survey.html",
        {
            "retrospective": retrospective,
            "form": form,
            "mine": mine,
            "allowed": allowed,
            "why_not": SURVEY_NOT_YET if not is_open else SURVEY_NOT_PARTICIPANT,
        },
        status=status,
    )
