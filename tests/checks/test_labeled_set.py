"""Precision and recall of the write-up checker on a hand-labeled set of sentences.

Run with `-s` to see the per-rule table. Each item of labeled_set.yaml becomes a one-section
document of its kind; the rules reported are compared with the rules expected.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bench.labeled import CONFIG, KINDS, predicted
from retrospector.checks import RULES

pytestmark = pytest.mark.no_database

LABELED = Path(__file__).with_name("labeled_set.yaml")
# Rules that judge a whole document; a one-section document cannot exercise them.
DOCUMENT_RULES = tuple(sorted(CONFIG.disable))


def load_items() -> list[dict]:
    items = yaml.safe_load(LABELED.read_text(encoding="utf-8"))
    for item in items:
        assert set(item) == {"kind", "expect", "text"}, item
        assert item["kind"] in KINDS, item
        assert all(rule in RULES for rule in item["expect"]), item
    return items


def score(items):
    tp, fp, fn = Counter(), Counter(), Counter()
    mistakes = []
    for item in items:
        got = predicted(item)
        want = set(item["expect"])
        for rule in got & want:
            tp[rule] += 1
        for rule in got - want:
            fp[rule] += 1
        for rule in want - got:
            fn[rule] += 1
        if got != want:
            mistakes.append((item, sorted(got)))
    return tp, fp, fn, mistakes


def ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def test_the_labeled_set_is_large_and_balanced():
    items = load_items()
    assert len(items) >= 300
    negatives = [i for i in items if not i["expect"]]
    assert len(negatives) >= 100, "hard negatives keep precision honest"
    kinds = Counter(i["kind"] for i in items)
    assert {"timeline", "questions", "recommendations", "impact", "summary", "analysis"} <= set(kinds)
    texts = [i["text"] for i in items]
    assert len(texts) == len(set(texts)), "duplicate items"


def test_precision_and_recall_on_the_labeled_set():
    items = load_items()
    tp, fp, fn, mistakes = score(items)
    rules = sorted(set(tp) | set(fp) | set(fn))
    lines = [f"{'rule':28} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>7}"]
    for rule in rules:
        lines.append(
            f"{rule:28} {tp[rule]:4} {fp[rule]:4} {fn[rule]:4} "
            f"{ratio(tp[rule], tp[rule] + fp[rule]):10.3f} {ratio(tp[rule], tp[rule] + fn[rule]):7.3f}"
        )
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    precision = ratio(total_tp, total_tp + total_fp)
    recall = ratio(total_tp, total_tp + total_fn)
    lines.append(f"{'overall':28} {total_tp:4} {total_fp:4} {total_fn:4} {precision:10.3f} {recall:7.3f}")
    print(f"\n{len(items)} labeled items\n" + "\n".join(lines))
    for item, got in mistakes:
        print(f"  mismatch [{item['kind']}] expected {item['expect']} got {got}: {item['text'][:100]!r}")
    assert precision >= 0.9, f"precision {precision:.3f}"
    assert recall >= 0.9, f"recall {recall:.3f}"


@pytest.mark.parametrize("rule", sorted(r for r in RULES if r not in DOCUMENT_RULES))
def test_every_sentence_level_rule_is_exercised_both_ways(rule):
    items = load_items()
    assert any(rule in i["expect"] for i in items), f"no positive example for {rule}"


def test_the_development_parts_written_blind_hold_their_figures():
    """A guard against regressions on the parts the rules were tuned on (the held-out parts are scored by
    `make bench` only, so nobody tunes to them)."""
    from bench import labeled

    paths = labeled.parts()["development"]
    assert paths, "no development parts"
    result = labeled.score([item for path in paths for item in labeled.load(path)])
    assert result.precision() >= 0.95, result.as_dict()
    assert result.recall() >= 0.9, result.as_dict()
    for rule in labeled.FAMILIES:
        assert result.recall(rule) >= 0.85, (rule, result.as_dict()["families"][rule])


def test_every_labeled_part_is_well_formed():
    from bench import labeled

    for path in sorted(labeled.LABELED.glob("*.yaml")):
        items = labeled.load(path, rules=labeled.FAMILIES)
        assert len(items) >= 300, path.name
        texts = [item["text"] for item in items]
        assert len(texts) == len(set(texts)), f"{path.name}: duplicate items"
