"""Selecting checks: ids, -k over ids, -m over tags, the phase."""
import pytest

from kfdoctor import Severity
from kfdoctor.engine.registry import CheckSpec
from kfdoctor.engine.selection import Expression, SelectionError, select


def spec(check_id, phases=("post-launch",), tags=()):
    return CheckSpec(check_id, lambda: None, Severity.LOW, phases, frozenset(tags))


CHECKS = {c.id: c for c in [
    spec("storage_pvc_bound", tags={"storage"}),
    spec("storage_default_class_unique", ("pre-launch",), {"storage"}),
    spec("keycloak_audience_mapper", tags={"keycloak", "auth"}),
    spec("node_inotify_limits", ("pre-launch", "post-launch"), {"node"}),
]}


def ids(**kwargs):
    return [c.id for c in select(CHECKS, **kwargs)]


def test_phase_selects_the_checks_of_that_phase():
    assert ids(phase="pre-launch") == ["node_inotify_limits", "storage_default_class_unique"]
    assert len(ids(phase="all")) == 4


def test_keyword_expressions_match_substrings_of_ids():
    assert ids(keyword="storage and not pvc") == ["storage_default_class_unique"]
    assert ids(keyword="inotify or audience") == ["keycloak_audience_mapper", "node_inotify_limits"]
    assert ids(keyword="(storage or node) and limits") == ["node_inotify_limits"]


def test_marker_expressions_match_tags_exactly():
    assert ids(markers="auth") == ["keycloak_audience_mapper"]
    assert ids(markers="storage and not auth", phase="post-launch") == ["storage_pvc_bound"]
    assert ids(markers="stor") == []


def test_positional_ids_and_close_matches_for_unknown_ones():
    assert ids(ids=["storage_pvc_bound"]) == ["storage_pvc_bound"]
    with pytest.raises(SelectionError, match="did you mean storage_pvc_bound"):
        ids(ids=["storage_pvc_bond"])


@pytest.mark.parametrize("text", ["storage and", "(storage", "and storage", "storage )", "not"])
def test_malformed_expressions_are_usage_errors(text):
    with pytest.raises(SelectionError):
        Expression(text)


def test_unknown_phase_is_a_usage_error():
    with pytest.raises(SelectionError, match="unknown phase"):
        ids(phase="during")
