# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report role, run for real with ansible-playbook, rendering fabricated results.

The results are a fixture (tests/fixtures/report/): these tests check what the role
renders, notifies and publishes - not any measurement. The HTML is rendered in headless
Chromium and the screenshot is checked for the status colours.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest

from support.playbook import playbook_argv, run_playbook

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "report" / "results_deploy_failed.json"
REPORT_SCHEMA = REPO_ROOT / "tests" / "unit" / "plugins" / "filter" / "fixtures" / "report_schema.json"
STAMP = "20261126-100000"  # run.started_at of the fixture
# In run order: the automatic rollback ("rollback", not an expected phase) follows deploy.
FIXTURE_STATUSES = {
    "preflight": "warned", "backup": "passed", "deploy": "failed", "rollback": "passed",
    "health": "not_run", "functional": "not_run", "load_test": "skipped",
    "rollback_container": "not_run", "rollback_database": "not_run", "rollback_config": "not_run",
    "post_rollback": "not_run",
}
LABELS = {"passed": "✅ passed", "warned": "⚠️ warned", "failed": "❌ failed",
          "skipped": "⏭️ skipped", "not_run": "⬜ not run"}
WEBHOOK_SECRET = "T000-hook-secret-4711"

pytestmark = pytest.mark.timeout(600)


def run_report_playbook(playbook: Path, extra_vars: dict) -> subprocess.CompletedProcess:
    env = {"ANSIBLE_SHOW_CUSTOM_STATS": "1", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
    argv = playbook_argv(playbook, inventory=REPO_ROOT / "inventories" / "local", extra_vars=extra_vars)
    return run_playbook(argv, env=env, timeout=300)


def assert_report_schema(document: dict) -> None:
    """The JSON the role wrote has the shape the unit tests pin (test_report_schema.py)."""
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)


class _Sink(BaseHTTPRequestHandler):
    """Records every POST, answers 200 like a Slack incoming webhook."""

    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                              "body": body.decode("utf-8")})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_sink():
    _Sink.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/{WEBHOOK_SECRET}", _Sink.received
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory):
    """One run of playbooks/report.yml on the failed-deploy fixture, with a webhook."""
    out_dir = tmp_path_factory.mktemp("reports")
    _Sink.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/services/{WEBHOOK_SECRET}"
    try:
        proc = run_report_playbook(REPO_ROOT / "playbooks" / "report.yml", {
            "rehearsal_results_dir": str(out_dir),
            "report_results_file": str(FIXTURE),
            "report_webhook_url": url,
        })
    finally:
        server.shutdown()
        server.server_close()
    files = {ext: out_dir / f"staging_rehearsal_{STAMP}.{ext}" for ext in ("md", "html", "json")}
    return {"proc": proc, "files": files, "posts": list(_Sink.received), "dir": out_dir}


# ------------------------------------------------------------------ the play

def test_failed_verdict_fails_the_play_after_writing_everything(failed_run):
    proc = failed_run["proc"]
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert ("Rehearsal verdict: failed (the run stopped at task 'Wait for the app /health': "
            "app /health did not report healthy within 120 s; phase deploy failed: app /health within 120 s") in output
    for path in failed_run["files"].values():
        assert path.is_file(), f"{path} missing\n{output}"
        assert path.stat().st_size > 0
        assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_webhook_url_is_never_logged(failed_run):
    proc = failed_run["proc"]
    assert WEBHOOK_SECRET not in proc.stdout + proc.stderr


def test_notification_posted_once_as_slack_json(failed_run):
    posts = failed_run["posts"]
    assert len(posts) == 1
    assert posts[0]["path"] == f"/services/{WEBHOOK_SECRET}"
    assert posts[0]["content_type"].startswith("application/json")
    text = json.loads(posts[0]["body"])["text"]
    assert "❌ failed" in text and "not ready for production" in text
    assert "deploy failed" in text and "health not run" in text
    assert str(failed_run["files"]["md"]) in text
    assert "✅ failed" not in text


def test_set_stats_publishes_paths_verdict_and_phases(failed_run):
    stdout = failed_run["proc"].stdout
    stats_text = stdout[stdout.index("CUSTOM STATS"):]
    stats = json.JSONDecoder().raw_decode(stats_text[stats_text.index("{"):])[0]
    published = stats["rehearsal_report"]["local-staging"]
    assert published["verdict"] == "failed"
    assert published["ready_for_production"] is False
    assert published["phases"] == FIXTURE_STATUSES
    assert published["problems"] == 2
    assert published["files"] == {"markdown": str(failed_run["files"]["md"]),
                                  "html": str(failed_run["files"]["html"]),
                                  "json": str(failed_run["files"]["json"])}


# ------------------------------------------------------------------ Markdown

def test_markdown_verdict_and_phase_statuses(failed_run):
    markdown = failed_run["files"]["md"].read_text(encoding="utf-8")
    assert markdown.startswith(f"# Staging deployment rehearsal report — staging — {STAMP}")
    assert "| Verdict | **❌ failed** |" in markdown
    assert "| Ready for production | no |" in markdown
    headings = re.findall(r"^### 3\.\d+ (\w+) — (.+)$", markdown, re.MULTILINE)
    assert headings == [(phase, LABELS[status]) for phase, status in FIXTURE_STATUSES.items()]
    assert markdown.count("Not run: this phase recorded no result in this run.") == 6
    assert "> **Stopped:** the run stopped at task 'Wait for the app /health'" in markdown
    assert "| app /health within 120 s | ❌ failed | 503 | 200 healthy | timed out after 120 s \\| last body" in markdown


def test_markdown_never_shows_a_check_mark_for_what_did_not_pass(failed_run):
    markdown = failed_run["files"]["md"].read_text(encoding="utf-8")
    assert markdown.count("✅") == markdown.count("✅ passed") > 0
    for line in markdown.splitlines():
        if any(word in line for word in ("not run", "not measured", "failed", "skipped", "warned")):
            cells = [cell.strip() for cell in line.split("|")]
            assert not any(cell.startswith("✅") and "passed" not in cell for cell in cells), line


def test_markdown_key_metrics_are_measured_or_not_measured(failed_run):
    markdown = failed_run["files"]["md"].read_text(encoding="utf-8")
    assert ("| Total deploy time | < 30 min 00 s (1,800 s) | 4 min 05 s (245.4 s) | ✅ passed "
            "| deploy.duration_s |") in markdown
    for metric in ("Availability (probes that succeeded)", "API response time (mean)", "Error rate"):
        assert re.search(rf"^\| {re.escape(metric)} \| [^|]+ \| not measured \| ➖ not measured \|",
                         markdown, re.MULTILINE), metric


def test_markdown_problems_criteria_and_conclusion(failed_run):
    markdown = failed_run["files"]["md"].read_text(encoding="utf-8")
    assert "### P1 [critical] deploy: app /health within 120 s" in markdown
    assert "### P2 [low] preflight: Grafana staging dashboard" in markdown
    assert "- **Severity:** critical (failed in phase deploy)" in markdown
    assert "**Not ready for production.**" in markdown
    assert "| Deployed and healthy | ❌ failed | deploy failed, health not run |" in markdown
    assert "| GET /api/v1/models/info works | ➖ not measured |" in markdown
    assert re.search(r"^\| Report written \| ✅ passed \| .*exists and is not empty", markdown, re.MULTILINE)
    assert "| preflight | docker | 24.0.5 |" in markdown
    assert "| preflight | host_resources.memory_gib | 7.8 |" in markdown
    assert "| health | — | — | — | ⬜ not run |  |" in markdown
    assert "| rollback | app | 1.3.0 |" in markdown


# ------------------------------------------------------------------ JSON

def test_json_has_raw_results_and_verdict(failed_run):
    document = json.loads(failed_run["files"]["json"].read_text(encoding="utf-8"))
    assert_report_schema(document)
    assert document["rehearsal_results"] == json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert document["verdict"]["status"] == "failed"
    assert document["verdict"]["ready_for_production"] is False
    assert document["verdict"]["failures"][1] == "phase deploy failed: app /health within 120 s"
    assert document["phase_statuses"] == FIXTURE_STATUSES
    assert {row["id"]: row["status"] for row in document["success_criteria"]} == {
        "deployed_healthy": "failed", "models_info": "not_measured", "health_response": "not_measured",
        "rollback_available": "not_measured", "report_written": "passed"}
    assert document["files"]["markdown"] == str(failed_run["files"]["md"])


# ------------------------------------------------------------------ HTML

def test_html_is_self_contained_and_honest(failed_run):
    html = failed_run["files"]["html"].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    for external in ("<script", "<link", "src=", "href=", "@import", "url(", "http://", "https://"):
        assert external not in html, external
    assert "✅" not in html
    assert 'Verdict: <span class="badge s-failed">failed</span> — not ready for production' in html
    for phase, status in FIXTURE_STATUSES.items():
        label = status.replace("_", " ")
        assert f'<h3 id="phase-{phase}">' in html
        assert re.search(rf'<h3 id="phase-{phase}">[^<]*<span class="badge s-{status}">{label}</span></h3>', html), phase
    bars = re.findall(r'<div class="tl-bar s-(\w+)" style="left: ([\d.]+)%; width: ([\d.]+)%"', html)
    assert [timeline_bar[0] for timeline_bar in bars] == ["warned", "passed", "failed", "passed", "skipped"]
    assert '{&#34;status&#34;: &#34;unhealthy&#34;' in html or "{&quot;status&quot;" in html


def _png_pixels(path: Path, max_rows: int) -> tuple[int, int, list[bytes]]:
    """Decode the rows of an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat, header = 8, b"", None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        chunk = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        offset += 12 + length
    width, height, depth, colour_type, _compression, _filter, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    channels = 4 if colour_type == 6 else 3
    stride = width * channels
    raw = zlib.decompress(idat)
    rows, previous = [], bytearray(stride)
    for y in range(min(height, max_rows)):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up = previous[i]
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                upper_left = previous[i - channels] if i >= channels else 0
                estimate = left + up - upper_left
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - upper_left)
                row[i] = (row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else upper_left)) & 0xFF
        rows.append(bytes(row))
        previous = row
    return width, channels, rows


def _colours(path: Path, max_rows: int) -> set[tuple[int, int, int]]:
    try:
        from PIL import Image  # optional: much faster than the pure-Python decoder
    except ImportError:
        width, channels, rows = _png_pixels(path, max_rows)
        return {tuple(row[i:i + 3]) for row in rows for i in range(0, width * channels, channels)}
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        return set(rgb.crop((0, 0, rgb.width, min(rgb.height, max_rows))).getdata())


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True,
                       timeout=900, check=False)
    found = shutil.which("chromium")
    if not found:
        pytest.skip("chromium is not installed and `apt-get install -y chromium` did not provide it")
    return found


def test_html_renders_in_headless_chromium(failed_run, tmp_path):
    screenshot = tmp_path / "report.png"
    proc = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={screenshot}",
         "--window-size=1280,2000", failed_run["files"]["html"].as_uri()],
        capture_output=True, text=True, timeout=180, check=False)
    assert screenshot.is_file(), proc.stderr[-2000:]
    colours = _colours(screenshot, max_rows=1400)
    assert len(colours) > 50, f"screenshot looks blank: {len(colours)} colours"
    # The badges are solid fills in the status colours of the stylesheet.
    assert (198, 40, 40) in colours, "no red (failed) badge rendered"
    assert (46, 125, 50) in colours, "no green (passed) badge rendered"
    assert (158, 158, 158) in colours, "no grey (not run) badge rendered"


# ------------------------------------------------------------------ other runs

def test_fail_on_verdict_can_be_turned_off(tmp_path):
    proc = run_report_playbook(REPO_ROOT / "playbooks" / "report.yml", {
        "rehearsal_results_dir": str(tmp_path), "report_results_file": str(FIXTURE),
        "report_fail_on_verdict": False})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / f"staging_rehearsal_{STAMP}.md").is_file()


def test_report_json_can_be_rendered_again(failed_run, tmp_path):
    proc = run_report_playbook(REPO_ROOT / "playbooks" / "report.yml", {
        "rehearsal_results_dir": str(tmp_path), "report_results_file": str(failed_run["files"]["json"]),
        "report_fail_on_verdict": False, "report_basename": "again"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    again = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    assert again["rehearsal_results"] == json.loads(FIXTURE.read_text(encoding="utf-8"))


def _role_playbook(tmp_path: Path, results: dict | None) -> Path:
    play = {"name": "Report on results held in a fact", "hosts": "staging", "gather_facts": False,
            "tasks": [{"name": "Write the report",
                       "ansible.builtin.include_role": {"name": "footballpred.rehearsal.report"}}]}
    if results is not None:
        play["vars"] = {"rehearsal_results": results}
    playbook = tmp_path / "report_fact.yml"
    playbook.write_text(json.dumps([play]), encoding="utf-8")
    return playbook


def test_only_preflight_ran_and_failed(tmp_path, webhook_sink):
    url, posts = webhook_sink
    results = {"run": {"started_at": "2026-11-27T08:15:00+00:00", "host": "local-staging",
                       "environment": "staging"},
               "phases": {"preflight": {
                   "status": "failed", "started_at": "2026-11-27T08:15:00+00:00",
                   "ended_at": "2026-11-27T08:15:04+00:00", "duration_s": 4.0,
                   "checks": [{"name": "Port 5433 free or owned by the stack", "status": "failed",
                               "value": "postgres (pid 812)", "target": "free", "detail": "taken"}],
                   "evidence": {}}}}
    out = tmp_path / "out"
    proc = run_report_playbook(_role_playbook(tmp_path, results),
                               {"rehearsal_results_dir": str(out), "report_webhook_url": url})
    assert proc.returncode != 0
    markdown = (out / "staging_rehearsal_20261127-081500.md").read_text(encoding="utf-8")
    assert "### 3.1 preflight — ❌ failed" in markdown
    assert "### 3.3 deploy — ⬜ not run" in markdown
    assert "### P1 [high] preflight: Port 5433 free or owned by the stack" in markdown
    assert "ports" in markdown
    assert "| Total deploy time | < 30 min 00 s (1,800 s) | not measured | ➖ not measured |" in markdown
    assert markdown.count("✅") == markdown.count("✅ passed") == 1  # only "report written"
    assert len(posts) == 1 and "preflight failed" in json.loads(posts[0]["body"])["text"]


def test_no_results_at_all_reports_everything_as_not_run(tmp_path):
    out = tmp_path / "out"
    proc = run_report_playbook(_role_playbook(tmp_path, None),
                               {"rehearsal_results_dir": str(out), "report_basename": "empty"})
    assert proc.returncode == 0, proc.stdout + proc.stderr  # incomplete is not failed
    document = json.loads((out / "empty.json").read_text(encoding="utf-8"))
    assert_report_schema(document)
    assert document["verdict"]["status"] == "incomplete"
    assert set(document["phase_statuses"].values()) == {"not_run"}
    assert document["rehearsal_results"]["phases"] == {}
    markdown = (out / "empty.md").read_text(encoding="utf-8")
    assert "**◐ incomplete**" in markdown and "| Ready for production | no |" in markdown


def test_an_unset_webhook_url_is_no_webhook(tmp_path):
    # AWX passes an empty survey answer as null; that means "no webhook", not a crash.
    proc = run_report_playbook(REPO_ROOT / "playbooks" / "report.yml", {
        "rehearsal_results_dir": str(tmp_path), "report_results_file": str(FIXTURE),
        "report_fail_on_verdict": False, "report_webhook_url": None})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / f"staging_rehearsal_{STAMP}.md").is_file()
