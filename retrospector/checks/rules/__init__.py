"""The checks, in the order they run. Each takes the engine Context and reports through it."""

from .judgment import check_hindsight, check_judgments
from .language import check_blame, check_counterfactual, check_root_cause
from .questions import check_questions
from .recommendations import check_incomplete, check_untraced, check_vague
from .structure import check_impact_numbers, check_required_sections, check_summary
from .timeline import check_timelines

ALL_CHECKS = (
    check_blame,
    check_counterfactual,
    check_judgments,
    check_hindsight,
    check_root_cause,
    check_questions,
    check_vague,
    check_incomplete,
    check_untraced,
    check_impact_numbers,
    check_timelines,
    check_required_sections,
    check_summary,
)

__all__ = ["ALL_CHECKS"]
