"""kfdoctor fix on the real apiserver: storage_default_class_unique, conflicts, no-terminal runs."""
from __future__ import annotations

import json

import pytest

from kfdoctor.fixing import fixer
from kfdoctor.fixing.journal import Journal
from kfdoctor.fixing.options import FixOptions
from kfdoctor.run import Selection, execute
from kfdoctor.sources.tape import Tape
from tests.integration.fixhelp import cli, fix_json, kube, kube_args, settings_for, snapshot, versions
from tests.servers.job import JobSpec

pytestmark = pytest.mark.integration
SC = "/apis/storage.k8s.io/v1/storageclasses"
CHECK = "storage_default_class_unique"
ANN = "storageclass.kubernetes.io/is-default-class"


def classes(seeded) -> list[str]:
    return [f"{SC}/{sc['metadata']['name']}" for sc in kube(seeded).read_fresh(SC)["items"]]


def check_status(seeded) -> set[str]:
    result = cli("check", CHECK, *kube_args(seeded), "-o", "json")
    return {r["status"] for r in json.loads(result.stdout)["results"]}


def test_fix_undo_and_idempotence(kube_job, tmp_path):
    seeded = kube_job(JobSpec(faults=frozenset({"two_default_classes"})))
    paths = classes(seeded)
    before = snapshot(seeded, *paths)
    assert check_status(seeded) == {"warn"}

    # no terminal and no --yes: nothing changes
    result = cli("fix", CHECK, *kube_args(seeded), "--default-class", "local-path")
    assert "nothing changed" in result.stdout and result.exit_code == 1
    assert snapshot(seeded, *paths) == before

    journal = tmp_path / "journal.json"
    result = cli("fix", CHECK, *kube_args(seeded), "--default-class", "local-path", "--yes",
                 "--journal", journal, "-o", "json")
    assert result.exit_code == 0, result.output
    fix = fix_json(result)["fix"]
    assert fix["journal"] == str(journal)
    assert [(p["check"], p["outcome"]) for p in fix["plans"]] == [(CHECK, "FIXED")]
    assert ANN in fix["plans"][0]["diff"] and '"true" -> "false"' in fix["plans"][0]["diff"]
    assert check_status(seeded) == {"pass"}

    # the second run changes nothing and says so
    after = versions(seeded, *paths)
    again = cli("fix", CHECK, *kube_args(seeded), "--default-class", "local-path", "--yes")
    assert again.exit_code == 0 and "nothing to fix" in again.stdout
    assert "nothing changed" in again.stdout
    assert versions(seeded, *paths) == after

    # undo restores the exact previous state
    undone = cli("fix", "--undo", journal, *kube_args(seeded))
    assert undone.exit_code == 0, undone.output
    assert "restored 1 change" in undone.stdout
    assert snapshot(seeded, *paths) == before
    assert Journal.load(journal).data["status"] == "undone"
    assert check_status(seeded) == {"warn"}


def test_no_default_class_is_fixed(kube_job, tmp_path):
    seeded = kube_job(JobSpec(faults=frozenset({"no_default_class"})))
    paths = classes(seeded)
    before = snapshot(seeded, *paths)
    result = cli("fix", CHECK, *kube_args(seeded), "--default-class", "local-path", "-y",
                 "--journal", tmp_path / "j.json")
    assert result.exit_code == 0, result.output
    assert "FIXED" in result.stdout
    assert check_status(seeded) == {"pass"}
    assert cli("fix", "--undo", tmp_path / "j.json", *kube_args(seeded)).exit_code == 0
    assert snapshot(seeded, *paths) == before


def test_without_default_class_the_plan_is_manual(kube_job):
    seeded = kube_job(JobSpec(faults=frozenset({"no_default_class"})))
    result = cli("fix", CHECK, *kube_args(seeded), "--yes")
    assert "manual only" in result.stdout and "--default-class NAME" in result.stdout
    assert "nothing changed" in result.stdout


def test_a_change_between_plan_and_apply_is_detected_not_overwritten(kube_job, tmp_path):
    seeded = kube_job(JobSpec(faults=frozenset({"two_default_classes"})))
    settings = settings_for(seeded)
    options = FixOptions(default_class="local-path")
    outcome = execute(settings, Selection([CHECK]), Tape("live"), values={"fix_options": options})
    fixes = fixer.gather(outcome)
    outcome.runner.close()
    # someone edits the class the plan will unmark, between plan and apply
    source = kube(seeded)
    source.write("PATCH", f"{SC}/jarvice-user", {"metadata": {"labels": {"edited": "by-admin"}}})
    journal = Journal.create(tmp_path / "journal.json", settings.public())
    fixer.apply(fixes, settings, journal, lambda text: None)
    journal.finish()
    assert fixes[0].outcome == fixer.FAILED and "conflict" in fixes[0].reason
    live = source.read_fresh(f"{SC}/jarvice-user")
    assert live["metadata"]["labels"]["edited"] == "by-admin"
    assert live["metadata"]["annotations"][ANN] == "true"      # not overwritten
    saved = json.loads((tmp_path / "journal.json").read_text())
    assert [a["state"] for a in saved["plans"][0]["actions"]] == ["conflict"]
    # undo of that journal has nothing to restore and changes nothing
    assert fixer.undo(Journal.load(tmp_path / "journal.json"), settings,
                      lambda text: None).restored == []
