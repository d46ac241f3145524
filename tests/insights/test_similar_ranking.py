"""'Have we seen this before?' ranks well enough on our own labelled set (tests/fixtures/similar/dev.json, loaded and
scored by bench.similar_ranking), and never finds a private incident of the other team there. The floors are modest on
purpose: the figures themselves are for `python -m bench.similar_ranking PATH`."""

import json
from pathlib import Path

import pytest

from bench.similar_ranking import score_labelled_set

DEV_SET = Path(__file__).resolve().parent.parent / "fixtures" / "similar" / "dev.json"


@pytest.mark.django_db
def test_it_ranks_the_labelled_dev_set_above_the_floor():
    report = score_labelled_set(json.loads(DEV_SET.read_text(encoding="utf-8")))
    assert report["queries"] >= 10
    assert report["private_leaks"] == 0
    assert report["mrr"] >= 0.8
    assert report["recall@5"] >= 0.8
    assert report["ndcg@5"] >= 0.75
    assert report["precision@3"] >= 0.4


def test_the_dev_set_follows_the_labelled_set_format():
    data = json.loads(DEV_SET.read_text(encoding="utf-8"))
    keys = {item["key"] for item in data["incidents"]}
    assert len(keys) == len(data["incidents"])
    for item in data["incidents"]:
        assert item["team"] in {"a", "b"} and item["severity"] in {"SEV1", "SEV2", "SEV3", "SEV4"}
        assert set(item["sections"]) <= {"summary", "impact", "contributing-factors", "timeline-notes", "lessons"}
    for query in data["queries"]:
        assert query["incident"] in keys and set(query["relevant"]) <= keys
