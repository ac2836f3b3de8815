# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report JSON's shape, pinned by fixtures/report_schema.json, so it cannot drift silently.

The documents are rendered the way roles/report/tasks/write.yml renders them:
rehearsal_report, then report_document, then JSON.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from ansible_collections.footballpred.rehearsal.plugins.filter import report

REPO_ROOT = Path(__file__).resolve().parents[4]
SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "report_schema.json").read_text(encoding="utf-8"))
FAILED_DEPLOY = json.loads((REPO_ROOT / "tests" / "fixtures" / "report" / "results_deploy_failed.json")
                           .read_text(encoding="utf-8"))
FILES = {"markdown": "/reports/r.md", "html": "/reports/r.html", "json": "/reports/r.json"}
# What roles/results starts when no phase recorded anything: the role renders that.
NOTHING_RECORDED = {"run": {"started_at": "2026-11-26T10:00:00+00:00", "host": "local-staging",
                            "environment": "staging"}, "phases": {}}
WRITTEN = {"status": "passed", "detail": "/reports/r.md exists and is not empty (read back from disk)"}


def document(results: dict, options: dict | None = None) -> dict:
    view = report.rehearsal_report(results, options)
    rendered = report.report_document(view, results, FILES, "2026-11-26T10:20:00Z")
    return json.loads(json.dumps(rendered))  # what to_nice_json writes: tuples become lists


def validate(instance: dict) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(instance)


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["format"]["const"] == report.REPORT_FORMAT


@pytest.mark.parametrize("options", [
    None,
    {"report_written": WRITTEN},
    {"report_written": WRITTEN, "check_mode": True},
], ids=["view", "report-written", "check-mode"])
@pytest.mark.parametrize("results", [FAILED_DEPLOY, NOTHING_RECORDED, {"phases": {}}],
                         ids=["failed-deploy", "nothing-recorded", "empty"])
def test_report_documents_match_the_schema(results, options):
    validate(document(results, options))


def test_the_fixture_document_fills_every_part():
    rendered = document(FAILED_DEPLOY, {"report_written": WRITTEN})
    assert set(rendered) == set(SCHEMA["required"])
    for part in ("goals", "key_metrics", "success_criteria", "problems"):
        assert rendered[part], part
    assert rendered["timeline"]["phases"] and rendered["phase_statuses"]["deploy"] == "failed"
    assert rendered["rehearsal_results"] == FAILED_DEPLOY


def test_the_run_may_carry_any_keys():
    results = copy.deepcopy(FAILED_DEPLOY)
    results["run"].update(id="0f6c2d", attempt=2, labels={"team": "sre"})
    validate(document(results))


@pytest.mark.parametrize("drift", [
    lambda doc: doc.update(extra=1),
    lambda doc: doc.pop("phase_statuses"),
    lambda doc: doc["verdict"].update(score=0.9),
    lambda doc: doc["verdict"].update(status="ok"),
    lambda doc: doc["key_metrics"][0].pop("source"),
    lambda doc: doc["key_metrics"][0].update(actual="fast"),
    lambda doc: doc["success_criteria"][0].update(weight=1),
    lambda doc: doc["problems"][0]["fixes"].update(never="x"),
    lambda doc: doc["timeline"]["phases"][0].update(colour="red"),
    lambda doc: doc["goals"][0].pop("status"),
    lambda doc: doc["files"].update(pdf="/reports/r.pdf"),
    lambda doc: doc["check_mode"].update(enabled="no"),
    lambda doc: doc["rehearsal_results"].pop("phases"),
], ids=["top-level key", "missing key", "verdict key", "verdict status", "metric key missing",
        "metric type", "criterion key", "problem fixes key", "timeline key", "goal key missing",
        "files key", "check_mode type", "results without phases"])
def test_a_drifted_document_is_refused(drift):
    drifted = document(FAILED_DEPLOY, {"report_written": WRITTEN})
    drift(drifted)
    with pytest.raises(jsonschema.ValidationError):
        validate(drifted)
