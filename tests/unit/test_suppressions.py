"""[[suppress]] entries: marked (status kept) in every output, not counted, expired, stale, --no-suppress."""
import datetime as dt
import json

import pytest

from kfdoctor.engine.results import RunResult
from kfdoctor.sources.errors import ConfigError
from kfdoctor.suppress import CHECK_ID, Suppression, Suppressions, parse
from tests.unit.test_config_file import CHECK, kfdoctor, one_line_exit_2, recording, write

TODAY = dt.date(2026, 6, 1)


def row(status="fail", check=CHECK, namespace=None, name="(default)", kind="StorageClass"):
    return {"check": check, "title": "t", "area": "storage", "severity": "high", "status": status,
            "resource": {"kind": kind, "namespace": namespace, "name": name}, "message": "m",
            "evidence": {}, "cause": None, "fixable": False, "suppressed": None, "duration_s": 0}


def test_a_matching_suppression_marks_the_row_and_keeps_its_status():
    rows = [row(), row("pass", name="other")]
    entries = Suppressions([Suppression(CHECK, "known", "(default)", dt.date(2027, 1, 1), 1)])
    extra = entries.apply(rows, [CHECK], TODAY)
    assert extra == []
    assert rows[0]["status"] == "fail"
    assert rows[0]["suppressed"] == {"reason": "known", "expires": "2027-01-01"}
    assert rows[1]["suppressed"] is None           # a pass is never marked
    result = RunResult("all", "now", 0, {}, rows)
    assert result.counted() == [rows[1]]


@pytest.mark.parametrize("glob,hit", [("kubeflow/*", True), ("kubeflow/nb-?", True),
                                      ("*/nb-1", True), ("other/*", False),
                                      ("PersistentVolumeClaim kubeflow/*", True), ("*", True)])
def test_resource_globs_match_namespace_slash_name(glob, hit):
    rows = [row(namespace="kubeflow", name="nb-1", kind="PersistentVolumeClaim")]
    Suppressions([Suppression(CHECK, "r", glob, None, 1)]).apply(rows, [CHECK], TODAY)
    assert bool(rows[0]["suppressed"]) is hit


def test_expired_suppressions_stop_applying_and_are_reported():
    rows = [row()]
    extra = Suppressions([Suppression(CHECK, "old", "*", dt.date(2026, 5, 31), 2)]).apply(
        rows, [CHECK], TODAY)
    assert rows[0]["suppressed"] is None
    assert len(extra) == 1 and extra[0]["check"] == CHECK_ID and extra[0]["status"] == "warn"
    assert "expired on 2026-05-31" in extra[0]["message"] and "old" in extra[0]["message"]
    assert extra[0]["resource"]["kind"] == "Suppression"
    assert extra[0]["evidence"]["state"] == "expired"


def test_a_suppression_matching_nothing_is_stale_unless_its_check_did_not_run():
    rows = [row("pass")]
    entries = Suppressions([Suppression(CHECK, "fixed long ago", "*", None, 1)])
    stale = entries.apply(rows, [CHECK], TODAY)
    assert len(stale) == 1 and stale[0]["evidence"]["state"] == "stale"
    assert "matches no warn, fail or error finding" in stale[0]["message"]
    assert entries.apply([row("pass")], ["another_check"], TODAY) == []


def test_unknown_check_ids_have_close_matches():
    entries = Suppressions([Suppression("storage_default_class_uniq", "r", index=3)])
    with pytest.raises(ConfigError, match="#3: unknown check id 'storage_default_class_uniq'; "
                                          "did you mean storage_default_class_unique"):
        entries.validate([CHECK, "pods_ready"])


@pytest.mark.parametrize("entry,part", [
    ({"check": CHECK}, "reason is required"),
    ({"check": CHECK, "reason": "  "}, "reason is required"),
    ({"reason": "r"}, r"check \(a check id\) is required"),
    ({"check": CHECK, "reason": "r", "expires": "next year"}, "expires must be a date"),
    ({"check": CHECK, "reason": "r", "resouce": "x"}, "did you mean resource"),
])
def test_malformed_entries(entry, part):
    with pytest.raises(ConfigError, match=part):
        parse([entry], "kfdoctor.toml")


def test_dates_from_toml_or_strings():
    entries = parse([{"check": CHECK, "reason": "r", "expires": dt.date(2027, 1, 2)},
                     {"check": CHECK, "reason": "r", "expires": "2027-01-03"}], "f")
    assert [e.expires for e in entries] == [dt.date(2027, 1, 2), dt.date(2027, 1, 3)]


# -- end to end through kfdoctor check ---------------------------------------------------------
SUPPRESS = f'''
[[suppress]]
check = "{CHECK}"
resource = "(default)"
reason = "migrating to the NFS class, ticket OPS-12"
expires = {{expires}}
'''


def test_a_suppressed_failure_is_visible_everywhere_and_does_not_fail_the_run(tmp_path):
    write(tmp_path, SUPPRESS.format(expires="2099-12-31"))
    rec = recording(tmp_path)
    proc = kfdoctor("check", CHECK, "--from", str(rec), "-o", "json", "--report",
                    str(tmp_path / "r.html"), "--markdown", str(tmp_path / "r.md"),
                    "--junit", str(tmp_path / "r.xml"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)["results"]
    failing = [r for r in rows if r["check"] == CHECK]
    assert failing[0]["status"] == "fail"
    assert failing[0]["suppressed"] == {"reason": "migrating to the NFS class, ticket OPS-12",
                                        "expires": "2099-12-31"}
    assert "OPS-12" in (tmp_path / "r.html").read_text()
    assert "OPS-12" in (tmp_path / "r.md").read_text()
    assert "OPS-12" in (tmp_path / "r.xml").read_text()
    table = kfdoctor("check", CHECK, "--from", str(rec), cwd=tmp_path)
    assert table.returncode == 0 and "[suppressed: migrating" in table.stdout
    assert kfdoctor("check", CHECK, "--from", str(rec), "--fail-on", "warn",
                    cwd=tmp_path).returncode == 0


def test_no_suppress_shows_everything_as_it_is(tmp_path):
    write(tmp_path, SUPPRESS.format(expires="2099-12-31"))
    proc = kfdoctor("check", CHECK, "--from", str(recording(tmp_path)), "-o", "json",
                    "--no-suppress", cwd=tmp_path)
    assert proc.returncode == 1
    rows = json.loads(proc.stdout)["results"]
    assert all(r["suppressed"] is None for r in rows) and all(r["check"] == CHECK for r in rows)


def test_an_expired_suppression_counts_again_and_is_a_warning(tmp_path):
    write(tmp_path, SUPPRESS.format(expires="2020-01-01"))
    proc = kfdoctor("check", CHECK, "--from", str(recording(tmp_path)), "-o", "json",
                    cwd=tmp_path)
    assert proc.returncode == 1
    rows = json.loads(proc.stdout)["results"]
    assert [r["status"] for r in rows if r["check"] == CHECK] == ["fail"]
    expired = [r for r in rows if r["check"] == CHECK_ID]
    assert len(expired) == 1 and expired[0]["status"] == "warn"
    assert "expired on 2020-01-01" in expired[0]["message"]


def test_a_stale_suppression_is_a_warning(tmp_path):
    write(tmp_path, SUPPRESS.format(expires="2099-12-31"))
    rec = recording(tmp_path, "one default class")
    proc = kfdoctor("check", CHECK, "--from", str(rec), "-o", "json", cwd=tmp_path)
    rows = json.loads(proc.stdout)["results"]
    stale = [r for r in rows if r["check"] == CHECK_ID]
    assert proc.returncode == 0 and len(stale) == 1 and stale[0]["evidence"]["state"] == "stale"
    assert kfdoctor("check", CHECK, "--from", str(rec), "--fail-on", "warn",
                    cwd=tmp_path).returncode == 1


def test_unknown_check_in_a_suppression_is_a_usage_error(tmp_path):
    write(tmp_path, '[[suppress]]\ncheck = "storage_default_class_uniqe"\nreason = "r"\n')
    one_line_exit_2(kfdoctor("check", CHECK, "--from", str(recording(tmp_path)), cwd=tmp_path),
                    "unknown check id 'storage_default_class_uniqe'",
                    "did you mean storage_default_class_unique")


def test_a_suppression_without_reason_is_a_usage_error(tmp_path):
    write(tmp_path, f'[[suppress]]\ncheck = "{CHECK}"\n')
    one_line_exit_2(kfdoctor("check", "--from", str(recording(tmp_path)), cwd=tmp_path),
                    "reason is required")
