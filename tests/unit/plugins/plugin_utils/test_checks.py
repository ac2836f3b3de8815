"""plugin_utils/checks.py: the phase status must never claim a pass that no check measured."""

import pytest
from ansible.plugins.filter.mathstuff import human_readable as ansible_human_readable

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.checks import elapsed_seconds, human_readable, phase_status


@pytest.mark.parametrize("size", [0, 1, 1023, 1024, 48213, 512930, 5 * 1024 ** 3, 3 * 1024 ** 3 + 17])
def test_sizes_read_as_the_human_readable_filter_prints_them(size):
    assert human_readable(size) == ansible_human_readable(size)


def test_a_size_not_measured_reads_none():
    assert human_readable(None) == "None"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["passed", "warned", "failed"], "failed"),
        (["passed", "warned"], "warned"),
        (["passed", "skipped"], "passed"),
        (["skipped", "not_run"], "not_run"),
        ([], "not_run"),
    ],
)
def test_phase_status_is_the_worst_check(statuses, expected):
    assert phase_status([{"status": status} for status in statuses]) == expected


def test_check_without_status_counts_as_not_run():
    assert phase_status([{"name": "no status"}]) == "not_run"


def test_phase_status_rejects_non_list():
    with pytest.raises(TypeError):
        phase_status("passed")


def test_elapsed_seconds_naive_and_zoned_times():
    assert elapsed_seconds("2026-11-26T10:00:00", "2026-11-26T10:01:30.250000") == 90.25
    assert elapsed_seconds("2026-11-26T10:00:00Z", "2026-11-26T11:00:00+01:00") == 0.0


def test_elapsed_seconds_rejects_garbage():
    with pytest.raises(ValueError):
        elapsed_seconds("yesterday", "2026-11-26T10:00:00")
