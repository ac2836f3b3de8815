"""Integration tests of the load_test and rollback roles against the real local stack.

They need the stack of examples/football-prediction running (deployed twice, so that
football-prediction:staging-previous exists, and backed up once) and are skipped
otherwise. Every request goes to 127.0.0.1. Timings are measured and reported by the
roles, never asserted here (see bench/).
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from support.playbook import CONNECTION_PLAY_KEYS, playbook_argv, run_playbook

API = "http://127.0.0.1:8001"
PREVIOUS_IMAGE = "football-prediction:staging-previous"

RUN_ROLE = """
- name: Run one role and keep its results
  hosts: staging
  gather_facts: false
""" + CONNECTION_PLAY_KEYS + """  environment:
    DOCKER_HOST: "{{ lookup('ansible.builtin.env', 'DOCKER_HOST') | default(omit, true) }}"
    DOCKER_CONFIG: "{{ lookup('ansible.builtin.env', 'DOCKER_CONFIG') | default(omit, true) }}"
  tasks:
    - name: Start the results
      footballpred.rehearsal.record_phase:
    - name: Run the role, holding the rehearsal lock (the stack is shared)
      block:
        - name: Take the rehearsal lock
          ansible.builtin.include_role:
            name: footballpred.rehearsal.preflight
            tasks_from: lock
        - name: Measure the release comparison's baseline first, as rehearsal.yml does before the deploy
          ansible.builtin.include_role:
            name: footballpred.rehearsal.load_test
            tasks_from: baseline
          when: test_baseline_first | default(false)
        - name: Run the role
          ansible.builtin.include_role:
            name: "footballpred.rehearsal.{{ test_role }}"
            tasks_from: "{{ test_tasks_from }}"
      always:
        - name: Keep the results
          ansible.builtin.copy:
            content: "{{ rehearsal_results | to_nice_json }}"
            dest: "{{ test_results_file }}"
            mode: "0600"
        - name: Release the rehearsal lock
          ansible.builtin.include_role:
            name: footballpred.rehearsal.preflight
            tasks_from: unlock
"""
LOCK_WAIT_S = 900


def api_json(path: str) -> dict:
    with urllib.request.urlopen(API + path, timeout=5) as response:  # noqa: S310 - loopback only
        return json.load(response)


def stack_is_up() -> bool:
    try:
        return api_json("/health").get("status") == "healthy"
    except OSError:
        return False


def image_version(env: dict, image: str) -> str | None:
    result = subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", image],
                            capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        return None
    return (json.loads(result.stdout) or {}).get("org.opencontainers.image.version")


pytestmark = pytest.mark.skipif(not stack_is_up(), reason="the local staging stack is not running on 127.0.0.1:8001")


def run_role(tmp_path: Path, env: dict, role: str, tasks_from: str = "main.yml", **extra_vars) -> tuple[int, dict, str]:
    playbook = tmp_path / "run_role.yml"
    playbook.write_text(RUN_ROLE)
    results_file = tmp_path / f"{role}_results.json"
    variables = {"test_role": role, "test_tasks_from": tasks_from, "test_results_file": str(results_file), **extra_vars}
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        results_file.unlink(missing_ok=True)
        completed = run_playbook(playbook_argv(playbook, extra_vars=variables), base_env=env, timeout=900)
        # Another rehearsal holds the stack: wait for it rather than fail or interfere.
        if "LOCKED:" not in completed.stdout + completed.stderr or time.monotonic() > deadline:
            break
        time.sleep(20)
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    return completed.returncode, results, completed.stdout[-4000:] + completed.stderr[-2000:]


def take_a_fresh_backup(tmp_path: Path, env: dict) -> None:
    """The drills restore the newest verified backup: make one, as the rehearsal does
    before it deploys, so the tests do not depend on what an earlier run left behind."""
    rc, results, output = run_role(tmp_path, env, "backup")
    assert rc == 0, failed_checks(results) or output
    assert results["phases"]["backup"]["status"] in ("passed", "warned")


def failed_checks(results: dict) -> list:
    """(phase, check, value, target, detail) of every failed check, for assertion messages."""
    return [(name, check["name"], check.get("value"), check.get("target"), check.get("detail"))
            for name, phase in results.get("phases", {}).items()
            for check in phase.get("checks", []) if check.get("status") == "failed"]


def test_load_test_with_the_spec_stages_measures_real_figures(tmp_path, docker_env):
    rc, results, output = run_role(tmp_path, docker_env, "load_test", load_test_output_dir=str(tmp_path / "load"))

    phase = results["phases"]["load_test"]
    assert rc == 0, output
    assert phase["status"] in ("passed", "warned")
    evidence = phase["evidence"]
    assert evidence["requests_total"] > 0
    assert all(evidence[key] is not None for key in ("p50_ms", "p95_ms", "p99_ms", "throughput_rps", "error_rate_pct"))
    assert evidence["summary"]["peak_users"] == 10
    assert {endpoint["name"] for endpoint in evidence["endpoints"]} == {
        "GET /health", "GET /api/v1/models/info", "POST /api/v1/predictions/match"}
    assert evidence["samples"]["docker"], "no docker stats sampled during the load"
    assert evidence["samples"]["db"] and evidence["samples"]["redis"]
    run_dir = Path(evidence["run_dir"])
    for name in ("locust_stats.csv", "locust_stats_history.csv", "locust.json", "locustfile.py", "load_test_result.json"):
        assert (run_dir / name).is_file(), name


def test_a_missed_threshold_fails_the_load_test(tmp_path, docker_env):
    rc, results, output = run_role(
        tmp_path, docker_env, "load_test", load_test_output_dir=str(tmp_path / "load"),
        load_test_stages=[{"duration_s": 4, "target_users": 2}, {"duration_s": 2, "target_users": 0}],
        load_test_thresholds_p95_ms=0.001, load_test_ab_enabled=False)

    phase = results["phases"]["load_test"]
    assert rc != 0, output
    assert phase["status"] == "failed"
    checks = {check["name"]: check for check in phase["checks"]}
    assert checks["p95 response time"]["status"] == "failed"
    assert checks["p95 response time"]["value"] > 0.001
    # Judged on successful requests alone, from the response times the locustfile kept.
    latency = phase["evidence"]["summary"]["latency"]
    assert latency["successful"]["requests"] + latency["failed"]["requests"] == phase["evidence"]["requests_total"]
    assert checks["p95 response time"]["value"] == latency["successful"]["p95_ms"]
    assert "successful requests" in checks["p95 response time"]["detail"]
    assert list((tmp_path / "load").glob("run_*/locust_latency.json"))


def test_the_release_in_service_compared_with_itself_is_not_worse(tmp_path, docker_env):
    """A/A: the baseline and the candidate are the same running release."""
    rc, results, output = run_role(
        tmp_path, docker_env, "load_test", load_test_output_dir=str(tmp_path / "load"), test_baseline_first=True,
        load_test_stages=[{"duration_s": 15, "target_users": 4}, {"duration_s": 3, "target_users": 0}],
        load_test_ab_enabled=False)

    phase = results["phases"]["release_comparison"]
    comparison = phase["evidence"]["release_comparison"]
    assert comparison["method"] == "mann-whitney-u"
    assert comparison["baseline"] == comparison["candidate"]
    assert comparison["baseline"]["image_id"].startswith("sha256:") and comparison["baseline"]["version"]
    assert {row["endpoint"] for row in comparison["endpoints"]} == {
        "GET /health", "GET /api/v1/models/info", "POST /api/v1/predictions/match"}
    assert all(row["p_value"] is not None and row["baseline_samples"] >= 20 for row in comparison["endpoints"]), \
        comparison["endpoints"]
    # Noise on a shared 2-core machine may make it marginal; the same release never fails.
    assert comparison["verdict"] in ("pass", "marginal"), comparison["endpoints"]
    assert rc == 0 or results["phases"]["load_test"]["status"] == "failed", output


def test_without_a_baseline_the_releases_are_not_compared(tmp_path, docker_env):
    rc, results, output = run_role(
        tmp_path, docker_env, "load_test", load_test_output_dir=str(tmp_path / "load"),
        load_test_stages=[{"duration_s": 3, "target_users": 2}, {"duration_s": 1, "target_users": 0}],
        load_test_ab_enabled=False)

    phase = results["phases"]["release_comparison"]
    assert phase["status"] != "passed", phase
    assert [check["status"] for check in phase["checks"]] == ["skipped"]
    assert "not compared: the baseline was not measured before the deploy" in phase["checks"][0]["detail"]
    assert phase["evidence"]["release_comparison"] is None


def test_load_to_a_non_loopback_address_is_refused(tmp_path, docker_env):
    rc, results, output = run_role(tmp_path, docker_env, "load_test", load_test_output_dir=str(tmp_path / "load"),
                                   load_test_base_url="http://192.0.2.10:8001")

    assert rc != 0
    assert "not a loopback address" in output
    assert results["phases"]["load_test"]["status"] == "failed"
    assert not list((tmp_path / "load").glob("run_*/locust_stats.csv"))


def test_rollback_drills_leave_the_previous_version_on_the_backup_data(tmp_path, docker_env):
    previous_version = image_version(docker_env, PREVIOUS_IMAGE)
    if previous_version is None:
        pytest.skip(f"{PREVIOUS_IMAGE} does not exist: deploy twice first")

    take_a_fresh_backup(tmp_path, docker_env)
    rc, results, output = run_role(tmp_path, docker_env, "rollback", rollback_drop_replaced_db=True,
                                   rollback_work_dir=str(tmp_path / "rollback"))

    phases = results["phases"]
    assert rc == 0, failed_checks(results) or output
    for name in ("rollback_container", "rollback_database", "rollback_config", "post_rollback"):
        assert phases[name]["status"] in ("passed", "warned"), (name, phases[name]["checks"])
        if name != "post_rollback":
            assert phases[name]["evidence"]["time_to_healthy_s"] > 0
    database = phases["rollback_database"]["evidence"]
    assert database["fingerprint"] == database["manifest_fingerprint"]
    config = phases["rollback_config"]["evidence"]
    assert config["files"] == config["sha256_before"]
    assert api_json("/health")["version"] == previous_version


def test_automatic_rollback_restores_the_database_when_it_changed(tmp_path, docker_env):
    if image_version(docker_env, PREVIOUS_IMAGE) is None:
        pytest.skip(f"{PREVIOUS_IMAGE} does not exist: deploy twice first")
    take_a_fresh_backup(tmp_path, docker_env)
    # Unique per run, so the marker can never already be in the backup.
    marker = "Automatic rollback test marker %d" % time.time_ns()
    insert = "INSERT INTO teams (name, league, country) VALUES ('%s', 'Test', 'Nowhere')" % marker
    subprocess.run(["docker", "exec", "football-prediction-staging-db-1", "psql", "-U", "football_staging_user",
                    "-d", "football_prediction_staging", "-c", insert], env=docker_env, check=True, capture_output=True)

    rc, results, output = run_role(tmp_path, docker_env, "rollback", "automatic.yml", rollback_drop_replaced_db=True,
                                   rollback_reason="integration test: simulated failed deploy")

    phase = results["phases"]["rollback"]
    assert rc == 0, failed_checks(results) or output
    assert phase["status"] == "passed", phase["checks"]
    names = [check["name"] for check in phase["checks"]]
    assert "automatic rollback: live fingerprint equals the backup" in names
    left = subprocess.run(["docker", "exec", "football-prediction-staging-db-1", "psql", "-U", "football_staging_user",
                           "-d", "football_prediction_staging", "-tAc",
                           "SELECT count(*) FROM teams WHERE name = '%s'" % marker],
                          env=docker_env, check=True, capture_output=True, text=True).stdout.strip()
    assert left == "0"
