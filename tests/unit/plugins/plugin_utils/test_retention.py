# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retention of the rollback drills' leftovers (which replaced databases and backup tags go) and
of old reports (never the run history)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.footballpred.rehearsal.plugins.filter.retention import FilterModule
from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.retention import (
    RetentionError,
    image_tags,
    parse_stamp,
    report_retention_plan,
    retention_plan,
    retention_plans,
)

DBS = [
    "football_prediction_staging_replaced_20261202_101500",
    "football_prediction_staging_replaced_20261130_235959",
    "football_prediction_staging_replaced_20261202_091500",
    "football_prediction_staging_replaced_20261201_120000",
    "football_prediction_staging_replaced_20261129_000000",
]
PREFIX = "football_prediction_staging_replaced_"


def test_keeps_the_newest_by_stamp_not_by_listing_order():
    plan = retention_plan(DBS, PREFIX, 2)
    assert plan["keep"] == [PREFIX + "20261202_101500", PREFIX + "20261202_091500"]
    assert plan["remove"] == [PREFIX + "20261129_000000", PREFIX + "20261130_235959", PREFIX + "20261201_120000"]
    assert set(plan["reasons"]) == set(DBS)


def test_five_runs_keep_two_leaves_exactly_two():
    plan = retention_plan(DBS, PREFIX, 2)
    assert len(plan["keep"]) == 2 and len(plan["remove"]) == 3
    assert not set(plan["keep"]) & set(plan["remove"])


def test_keep_zero_removes_every_candidate_and_keep_more_removes_none():
    assert sorted(retention_plan(DBS, PREFIX, 0)["remove"]) == sorted(DBS)
    assert retention_plan(DBS, PREFIX, 10)["remove"] == []
    assert retention_plan([], PREFIX, 2) == {"remove": [], "keep": [], "protected": [], "ignored": [], "reasons": {}}


def test_the_live_database_and_foreign_names_are_never_candidates():
    names = DBS + ["football_prediction_staging", "postgres", PREFIX + "manual_copy",
                   PREFIX + "20261202_101500_extra", "other_replaced_20200101_000000", PREFIX + "20261340_000000"]
    plan = retention_plan(names, PREFIX, 0)
    assert sorted(plan["remove"]) == sorted(DBS)
    assert set(plan["ignored"]) == {"football_prediction_staging", "postgres", PREFIX + "manual_copy",
                                    PREFIX + "20261202_101500_extra", "other_replaced_20200101_000000",
                                    PREFIX + "20261340_000000"}


def test_protected_names_stay_and_do_not_count_towards_keep():
    oldest = PREFIX + "20261129_000000"
    plan = retention_plan(DBS, PREFIX, 2, protected_names=[oldest])
    assert oldest in plan["protected"] and oldest not in plan["remove"]
    assert len(plan["keep"]) == 2
    assert len(plan["remove"]) == 2


TAGS = [
    {"name": "staging-backup-20261202-101500", "id": "sha256:aaa"},
    {"name": "staging-backup-20261202-091500", "id": "sha256:bbb"},
    {"name": "staging-backup-20261201-120000", "id": "sha256:ccc"},
    {"name": "staging-backup-20261130-120000", "id": "sha256:ddd"},
    {"name": "staging-backup-20261129-120000", "id": "sha256:eee"},
    {"name": "staging-backup-20261128-120000", "id": "sha256:eee"},
    {"name": "staging-latest", "id": "sha256:aaa"},
    {"name": "staging-previous", "id": "sha256:ddd"},
]


def test_backup_tags_keep_the_newest_and_untag_images_that_keep_another_tag():
    # aaa and ddd are protected but keep staging-latest / staging-previous: their backup tags may go.
    plan = retention_plan(TAGS, "staging-backup-", 1, protected_ids=["sha256:aaa", "sha256:ddd"])
    assert plan["keep"] == ["staging-backup-20261202-101500"]
    assert plan["remove"] == ["staging-backup-20261128-120000", "staging-backup-20261129-120000",
                              "staging-backup-20261130-120000", "staging-backup-20261201-120000",
                              "staging-backup-20261202-091500"]
    assert plan["protected"] == []
    assert set(plan["ignored"]) == {"staging-latest", "staging-previous"}
    assert "keeps another tag" in plan["reasons"]["staging-backup-20261130-120000"]


def test_an_image_in_use_keeps_its_last_tag():
    # eee is in use and has only two backup tags: the newer of them stays.
    plan = retention_plan(TAGS, "staging-backup-", 1, protected_ids=["sha256:eee"])
    assert plan["protected"] == ["staging-backup-20261129-120000"]
    assert "staging-backup-20261128-120000" in plan["remove"]
    assert "staging-backup-20261129-120000" not in plan["remove"]
    assert "sha256:eee" in plan["reasons"]["staging-backup-20261129-120000"]
    # ... and an image in use with a single backup tag loses none.
    plan = retention_plan(TAGS, "staging-backup-", 0, protected_ids=["sha256:ccc"])
    assert "staging-backup-20261201-120000" not in plan["remove"]
    assert plan["protected"] == ["staging-backup-20261201-120000"]


def test_protected_names_are_never_removed():
    plan = retention_plan(TAGS, "staging-backup-", 0, protected_names=["staging-backup-20261128-120000"])
    assert plan["protected"] == ["staging-backup-20261128-120000"]
    assert len(plan["remove"]) == 5


def test_duplicates_are_counted_once():
    plan = retention_plan(DBS + DBS[:2], PREFIX, 1)
    assert len(plan["keep"]) + len(plan["remove"]) == len(DBS)


@pytest.mark.parametrize("keep", [-1, "two", None, True])
def test_bad_keep_is_refused(keep):
    with pytest.raises(RetentionError):
        retention_plan(DBS, PREFIX, keep)


@pytest.mark.parametrize("items", ["a_name", 3, [3], [{"id": "x"}]])
def test_bad_items_are_refused(items):
    with pytest.raises(RetentionError):
        retention_plan(items, PREFIX, 1)


def test_empty_prefix_is_refused():
    with pytest.raises(RetentionError):
        retention_plan(DBS, "", 1)


def test_parse_stamp():
    assert parse_stamp("20261202_101500").hour == 10
    assert parse_stamp("20261202-101500").minute == 15
    assert parse_stamp("20261202101500") is None
    assert parse_stamp("20261302_101500") is None


def test_the_filter_wraps_errors_as_filter_errors():
    plans_filter = FilterModule().filters()["rollback_retention_plans"]
    plans = plans_filter([{"datname": name} for name in DBS], {"images": [], "containers": []},
                         {**OPTIONS, "keep_databases": "2"})
    assert plans["databases"]["keep"] == [PREFIX + "20261202_101500", PREFIX + "20261202_091500"]
    with pytest.raises(AnsibleFilterError, match="rollback_retention_plans"):
        plans_filter(DBS, {}, {**OPTIONS, "keep_databases": -1})


def test_image_tags_of_one_repository():
    images = [{"Id": "sha256:aaa", "RepoTags": ["app:staging-latest", "app:staging-backup-20261202-101500"]},
              {"Id": "sha256:bbb", "RepoTags": None},
              {"Id": "sha256:ccc", "RepoTags": ["other/app:staging-latest", "app-two:x", "app:"]}]
    assert image_tags(images, "app") == [{"name": "staging-latest", "id": "sha256:aaa"},
                                         {"name": "staging-backup-20261202-101500", "id": "sha256:aaa"}]
    with pytest.raises(RetentionError):
        image_tags("app:x", "app")
    with pytest.raises(RetentionError):
        image_tags(["app:x"], "app")


# ---------------------------------------------------------------------- both plans
RUNNING, PREVIOUS, POINT = "sha256:" + "a" * 64, "sha256:" + "b" * 64, "sha256:" + "c" * 64
OPTIONS = {"db_name": "football_prediction_staging", "keep_databases": 2, "app_image": "football-prediction",
           "tag_prefix": "staging-backup-", "keep_tags": 1,
           "target_tags": ["staging-latest", "staging-previous", "staging-rollback"], "point_image_id": ""}


def docker(*tags, containers=(RUNNING,)):
    images = {}
    for ref, image_id in tags:
        images.setdefault(image_id, []).append(f"football-prediction:{ref}")
    return {"images": [{"Id": image_id, "RepoTags": refs} for image_id, refs in images.items()],
            "containers": [{"ImageID": image_id} for image_id in containers]}


def test_both_plans_from_what_the_role_lists():
    rows = [{"datname": name} for name in DBS + ["football_prediction_staging", "postgres"]]
    info = docker(("staging-latest", RUNNING), ("staging-previous", PREVIOUS),
                  ("staging-backup-20261201-101500", PREVIOUS), ("staging-backup-20261202-101500", PREVIOUS),
                  ("staging-backup-20261130-101500", "sha256:" + "d" * 64))
    plans = retention_plans(rows, info, OPTIONS)
    assert plans["databases"] == retention_plan(DBS + ["football_prediction_staging", "postgres"], PREFIX, 2,
                                                ["football_prediction_staging"])
    assert plans["backup_tags"]["keep"] == ["staging-backup-20261202-101500"]
    assert plans["backup_tags"]["remove"] == ["staging-backup-20261130-101500", "staging-backup-20261201-101500"]


def test_the_rollback_point_and_running_images_keep_their_last_tag():
    info = docker(("staging-backup-20261201-101500", POINT), ("staging-backup-20261202-101500", RUNNING),
                  ("staging-backup-20261203-101500", PREVIOUS), containers=(RUNNING,))
    plans = retention_plans([], info, {**OPTIONS, "keep_tags": 0, "point_image_id": POINT})
    assert sorted(plans["backup_tags"]["protected"]) == ["staging-backup-20261201-101500",
                                                         "staging-backup-20261202-101500"]
    assert plans["backup_tags"]["remove"] == ["staging-backup-20261203-101500"]


def test_plans_need_the_options_the_role_passes():
    with pytest.raises(KeyError):
        retention_plans([], {}, {"keep_databases": 2})
    with pytest.raises(RetentionError):
        retention_plans([], [], OPTIONS)
    with pytest.raises(AnsibleFilterError, match="rollback_retention_plans"):
        FilterModule().filters()["rollback_retention_plans"]([], {}, {})


# ------------------------------------------------------------------ old reports

REPORTS = [f"/reports/staging_rehearsal_202611{day:02d}-100000.{ext}" for day in (1, 2, 3, 4) for ext in
           ("md", "html", "json")]


def test_report_retention_keeps_the_newest_runs_and_never_the_history():
    names = ["/reports/history.jsonl", *reversed(REPORTS), "/reports/again.json", "/reports/load_test"]
    plan = report_retention_plan(names, 2, "/reports/staging_rehearsal_20261104-100000.md")
    assert plan["remove"] == [f"staging_rehearsal_2026110{day}-100000.{ext}" for day in (1, 2)
                              for ext in ("html", "json", "md")]
    assert plan["keep"] == ["staging_rehearsal_20261104-100000", "staging_rehearsal_20261103-100000"]
    assert "history.jsonl" in plan["ignored"] and "history.jsonl" not in plan["remove"]
    assert plan["reasons"]["history.jsonl"] == "the run history: never removed"
    assert plan["reasons"]["again.json"] == "not named staging_rehearsal_<stamp>: left alone"


def test_report_retention_never_removes_the_run_being_written():
    # An old run rendered again: its files stay, besides the newest "keep".
    plan = report_retention_plan(REPORTS, 1, "/reports/staging_rehearsal_20261101-100000.md")
    assert plan["keep"] == ["staging_rehearsal_20261104-100000", "staging_rehearsal_20261101-100000"]
    assert plan["reasons"]["staging_rehearsal_20261101-100000"] == "the run being written: never removed"
    assert {name.split(".")[0] for name in plan["remove"]} == {"staging_rehearsal_20261102-100000",
                                                               "staging_rehearsal_20261103-100000"}


def test_report_retention_with_host_suffixes_goes_by_run():
    names = ["staging_rehearsal_20261101-100000_web1.md", "staging_rehearsal_20261101-100000_web2.md",
             "staging_rehearsal_20261102-100000_web1.md"]
    assert report_retention_plan(names, 1)["remove"] == names[:2]


def test_report_retention_zero_keeps_everything():
    plan = report_retention_plan(["history.jsonl", *REPORTS], 0)
    assert plan["remove"] == [] and len(plan["keep"]) == 4


@pytest.mark.parametrize("keep", [-1, "x", True, None])
def test_report_retention_refuses_a_bad_keep(keep):
    with pytest.raises(RetentionError):
        report_retention_plan(REPORTS, keep)


def test_report_retention_filter_says_its_name():
    plan_filter = FilterModule().filters()["report_retention_plan"]
    assert plan_filter(REPORTS, 3)["remove"][0].startswith("staging_rehearsal_20261101")
    with pytest.raises(AnsibleFilterError, match="report_retention_plan"):
        plan_filter("history.jsonl", 1)
