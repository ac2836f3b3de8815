# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import multiprocessing
import os
import time

import pytest

from ansible_collections.footballpred.rehearsal.plugins.modules import rehearsal_lock as lock


def holder(token: str, pid: int = 4242) -> dict:
    return {"token": token, "pid": pid, "controller": "ops-1", "user": "sre", "started_at": "2026-12-02T20:00:00+00:00"}


def race_once(path: str, token: str, barrier, outcomes) -> None:
    barrier.wait()
    try:
        lock.acquire(path, holder(token, pid=os.getpid()), [], 3600, 0)
        outcomes.put((token, "taken", ""))
    except lock.LockHeld as held:
        outcomes.put((token, "held", str(held)))


def test_of_two_runs_racing_for_a_free_lock_exactly_one_wins_and_the_other_names_it(tmp_path):
    context = multiprocessing.get_context("fork")
    for attempt in range(15):
        path = str(tmp_path / f"race{attempt}" / "rehearsal.lock")
        barrier, outcomes = context.Barrier(2), context.Queue()
        runs = [context.Process(target=race_once, args=(path, token, barrier, outcomes)) for token in ("aaaaaaaaaa", "bbbbbbbbbb")]
        for run in runs:
            run.start()
        for run in runs:
            run.join(timeout=30)
        results = sorted(outcomes.get(timeout=5) for _run in runs)
        states = [state for _token, state, _msg in results]
        assert sorted(states) == ["held", "taken"], results
        winner = next(token for token, state, _msg in results if state == "taken")
        loser_message = next(msg for _token, state, msg in results if state == "held")
        on_disk = json.loads(open(path).read())
        assert on_disk["token"] == winner
        assert f"pid {on_disk['pid']} on controller ops-1 (user sre)" in loser_message
        assert os.listdir(os.path.dirname(path)) == ["rehearsal.lock"], "a private record file was left behind"


def test_a_free_lock_is_taken_with_the_holder_record(tmp_path):
    path = str(tmp_path / "dir" / "rehearsal.lock")
    result = lock.acquire(path, holder("mine-token"), [], 3600, 0)
    assert result["lock_state"] == "taken" and result["changed"]
    assert json.loads(open(path).read())["token"] == "mine-token"
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"


def test_the_holder_takes_it_again_without_change(tmp_path):
    path = str(tmp_path / "rehearsal.lock")
    lock.acquire(path, holder("mine-token"), [], 3600, 0)
    again = lock.acquire(path, holder("mine-token"), [], 3600, 0)
    assert again["lock_state"] == "ours" and not again["changed"]


def test_a_live_holder_is_refused_with_its_details(tmp_path):
    path = str(tmp_path / "rehearsal.lock")
    lock.acquire(path, holder("other-token", pid=777), [], 3600, 0)
    with pytest.raises(lock.LockHeld) as held:
        lock.acquire(path, holder("mine-token"), [], 3600, 0)
    assert "pid 777 on controller ops-1" in str(held.value) and path in str(held.value)
    assert json.loads(open(path).read())["token"] == "other-token"


def test_a_holder_known_to_be_gone_is_replaced(tmp_path):
    path = str(tmp_path / "rehearsal.lock")
    lock.acquire(path, holder("crashed-run", pid=4194000), [], 3600, 0)
    result = lock.acquire(path, holder("mine-token"), ["crashed-run"], 3600, 0)
    assert result["lock_state"] == "taken"
    assert result["replaced_stale"]["token"] == "crashed-run"
    assert json.loads(open(path).read())["token"] == "mine-token"


def test_a_lock_older_than_stale_after_is_replaced(tmp_path):
    path = str(tmp_path / "rehearsal.lock")
    lock.acquire(path, holder("old-run-token"), [], 3600, 0)
    an_hour_ago = time.time() - 3700
    os.utime(path, (an_hour_ago, an_hour_ago))
    result = lock.acquire(path, holder("mine-token"), [], 3600, 0)
    assert result["lock_state"] == "taken" and result["replaced_stale"]["token"] == "old-run-token"


def test_an_unreadable_lock_is_held_until_it_is_stale(tmp_path):
    path = tmp_path / "rehearsal.lock"
    path.write_text("not json")
    with pytest.raises(lock.LockHeld):
        lock.acquire(str(path), holder("mine-token"), [], 3600, 0)
    os.utime(path, (time.time() - 4000, time.time() - 4000))
    assert lock.acquire(str(path), holder("mine-token"), [], 3600, 0)["lock_state"] == "taken"


def test_waiting_ends_when_the_holder_releases(tmp_path):
    path = str(tmp_path / "rehearsal.lock")
    lock.acquire(path, holder("other-token"), [], 3600, 0)
    clock = [0.0]

    def sleep(seconds):
        clock[0] += seconds
        if clock[0] >= 3:
            lock.release(path, holder("other-token"))

    result = lock.acquire(path, holder("mine-token"), [], 3600, 10, sleep=sleep, clock=lambda: clock[0])
    assert result["lock_state"] == "taken" and clock[0] >= 3


def test_waiting_in_vain_is_refused(tmp_path):
    path = str(tmp_path / "rehearsal.lock")
    lock.acquire(path, holder("other-token"), [], 3600, 0)
    clock = [0.0]

    def sleep(seconds):
        clock[0] += seconds

    with pytest.raises(lock.LockHeld):
        lock.acquire(path, holder("mine-token"), [], 3600, 5, sleep=sleep, clock=lambda: clock[0])
    assert clock[0] >= 5


def test_check_mode_creates_nothing_and_still_refuses_a_live_holder(tmp_path):
    path = tmp_path / "rehearsal.lock"
    assert lock.acquire(str(path), holder("mine-token"), [], 3600, 0, check_mode=True)["lock_state"] == "would_take"
    assert not path.exists()
    lock.acquire(str(path), holder("other-token"), [], 3600, 0)
    with pytest.raises(lock.LockHeld):
        lock.acquire(str(path), holder("mine-token"), [], 3600, 0, check_mode=True)


def test_release_removes_only_this_runs_lock(tmp_path):
    path = tmp_path / "rehearsal.lock"
    lock.acquire(str(path), holder("other-token"), [], 3600, 0)
    assert lock.release(str(path), holder("mine-token"))["lock_state"] == "not_ours"
    assert json.loads(path.read_text())["token"] == "other-token"
    assert lock.release(str(path), holder("other-token"))["lock_state"] == "released"
    assert not path.exists()
    assert lock.release(str(path), holder("other-token"))["lock_state"] == "not_ours"


def test_the_module_fails_with_the_holder_when_locked(tmp_path, run_module):
    path = tmp_path / "rehearsal.lock"
    lock.acquire(str(path), holder("other-token", pid=999), [], 3600, 0)
    outcome = run_module(lock, {"path": str(path), "holder": holder("mine-token")})
    assert outcome.failed and outcome.result["lock_state"] == "held"
    assert outcome.result["msg"].startswith("LOCKED: another rehearsal")
    assert "pid 999" in outcome.result["msg"]
    assert outcome.result["current_holder"]["token"] == "other-token"


def test_the_module_takes_and_releases(tmp_path, run_module):
    path = tmp_path / "rehearsal.lock"
    taken = run_module(lock, {"path": str(path), "holder": holder("mine-token")})
    assert not taken.failed and taken.result["changed"] and taken.result["lock_state"] == "taken"
    released = run_module(lock, {"path": str(path), "state": "absent", "holder": taken.result["holder"]})
    assert released.result["lock_state"] == "released" and not path.exists()


def test_the_module_refuses_a_holder_without_token(tmp_path, run_module):
    outcome = run_module(lock, {"path": str(tmp_path / "x.lock"), "holder": {"pid": 1}})
    assert outcome.failed and "holder.token is required" in outcome.result["msg"]
