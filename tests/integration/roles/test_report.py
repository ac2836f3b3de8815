# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report role, run for real with ansible-playbook, rendering fabricated results.

The results are a fixture (tests/fixtures/report/): these tests check what the role
renders, notifies and publishes - not any measurement. The HTML is rendered in headless
Chromium: the screenshot is checked for the status colours and for charts that are not
blank, and the layout (measured by a copy of the report with a script added: the report
itself has none) for a Detail column readable at 1280 px. The run history
(history.jsonl) gets one line per run and flags a regression.
"""

from __future__ import annotations

import copy
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
    "health": "not_run", "functional": "not_run", "load_test": "skipped", "release_comparison": "not_run",
    "rollback_container": "not_run", "rollback_database": "not_run", "rollback_config": "not_run",
    "post_rollback": "not_run",
}
LABELS = {"passed": "✅ passed", "warned": "⚠️ warned", "failed": "❌ failed",
          "skipped": "⏭️ skipped", "not_run": "⬜ not run"}
WEBHOOK_SECRET = "T000-hook-secret-4711"

pytestmark = pytest.mark.timeout(600)


def run_report_playbook(playbook: Path, extra_vars: dict, check: bool = False) -> subprocess.CompletedProcess:
    env = {"ANSIBLE_SHOW_CUSTOM_STATS": "1", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
    argv = playbook_argv(playbook, inventory=REPO_ROOT / "inventories" / "local", extra_vars=extra_vars)
    return run_playbook(argv + (["--check"] if check else []), env=env, timeout=300)


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
    assert markdown.count("Not run: this phase recorded no result in this run.") == 7
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
    bars = re.findall(r'<rect class="bar s-(\w+)" x="([\d.]+)"', html)
    assert [timeline_bar[0] for timeline_bar in bars] == ["warned", "passed", "failed", "passed", "skipped"]
    starts = [float(timeline_bar[1]) for timeline_bar in bars]
    assert starts == sorted(starts)
    assert html.count('<svg class="chart') == 1  # the timeline; the load test recorded no time series
    assert "No time series recorded" in html
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


def _chromium_argv(tmp_path: Path) -> list[str]:
    return [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}"]


def test_html_renders_in_headless_chromium(failed_run, tmp_path):
    screenshot = tmp_path / "report.png"
    proc = subprocess.run(
        [*_chromium_argv(tmp_path), f"--screenshot={screenshot}",
         "--window-size=1280,2000", failed_run["files"]["html"].as_uri()],
        capture_output=True, text=True, timeout=180, check=False)
    assert screenshot.is_file(), proc.stderr[-2000:]
    colours = _colours(screenshot, max_rows=1400)
    assert len(colours) > 50, f"screenshot looks blank: {len(colours)} colours"
    # The badges are solid fills in the status colours of the stylesheet.
    assert (198, 40, 40) in colours, "no red (failed) badge rendered"
    assert (46, 125, 50) in colours, "no green (passed) badge rendered"
    assert (158, 158, 158) in colours, "no grey (not run) badge rendered"


# Added to a copy of the report only: the report has no script. It measures what the
# layout engine made of the page and leaves it in the DOM that --dump-dom prints.
MEASURE_SCRIPT = """<script>
(() => {
  const box = (element) => { const r = element.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; };
  const measured = {
    viewport: innerWidth,
    height: document.documentElement.scrollHeight,
    detail: [...document.querySelectorAll("table.checks")].map((table) => box(table.rows[0].cells[4]).w),
    columns: [...document.querySelectorAll("table.checks")].map((table) =>
      [...table.rows[0].cells].map((cell) => box(cell).w)),
    charts: [...document.querySelectorAll("svg.chart")].map((svg) => ({
      kind: svg.getAttribute("class"), ...box(svg),
      marks: [...svg.querySelectorAll("rect.bar, rect.outage, polyline")].filter((mark) => {
        const r = mark.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length})),
  };
  const out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify(measured);
  document.body.appendChild(out);
})();
</script>"""
SCALE = 0.5  # screenshots at half resolution: the pure-Python PNG decoder reads the page in seconds
PASSED, FAILED, CANDIDATE = (46, 125, 50), (198, 40, 40), (21, 101, 192)


def _measure(html_file: Path, tmp_path: Path) -> dict:
    instrumented = tmp_path / "measured page.html"  # a space in the path, as users have
    instrumented.write_text(html_file.read_text(encoding="utf-8").replace("</body>", MEASURE_SCRIPT + "</body>"),
                            encoding="utf-8")
    proc = subprocess.run([*_chromium_argv(tmp_path), "--window-size=1280,2000", "--dump-dom",
                           instrumented.as_uri()], capture_output=True, text=True, timeout=180, check=False)
    found = re.search(r'<pre id="measured">(.*?)</pre>', proc.stdout, re.DOTALL)
    assert found, proc.stderr[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def _region(rows: list[bytes], channels: int, box: dict) -> list[tuple[int, int, int]]:
    """The pixels of a chart's box (CSS px) in the half-scale screenshot."""
    top, bottom = int(box["y"] * SCALE) + 1, int((box["y"] + box["h"]) * SCALE) - 1
    left, right = int(box["x"] * SCALE) + 1, int((box["x"] + box["w"]) * SCALE) - 1
    return [tuple(rows[y][x * channels:x * channels + 3]) for y in range(top, min(bottom, len(rows)))
            for x in range(left, right)]


def _near(pixels: list[tuple[int, int, int]], colour: tuple[int, int, int], distance: int = 40) -> int:
    return sum(1 for pixel in pixels if sum(abs(a - b) for a, b in zip(pixel, colour)) <= distance)


@pytest.fixture(scope="module")
def charted_run(tmp_path_factory):
    """The fixture, with a load test that ran (a Locust-style time series) and an outage
    during the deploy: everything the charts draw."""
    out_dir = tmp_path_factory.mktemp("charted reports")  # a space in the path, as users have
    results = copy.deepcopy(json.loads(FIXTURE.read_text(encoding="utf-8")))
    results["phases"]["deploy"]["evidence"]["outages"] = [
        {"event": "deploy", "probes": 240, "failed_requests": 12, "longest_window_s": 9.5,
         "first_failure": "2026-11-26T10:02:00+00:00", "last_failure": "2026-11-26T10:02:09.500000+00:00"}]
    results["phases"]["load_test"] = {
        "status": "passed", "started_at": "2026-11-26T10:05:20.100000+00:00",
        "ended_at": "2026-11-26T10:06:20.100000+00:00", "duration_s": 60.0,
        "checks": [{"name": "p95 response time", "status": "passed", "value": 61, "target": "< 1000 ms",
                    "detail": "Locust aggregated 95th percentile"}],
        "evidence": {"p95_ms": 61, "time_series": [
            {"t_s": second, "users": min(second, 5), "rps": min(second, 10) * 1.5,
             "p50_ms": None if second == 0 else 20 + second % 7, "p95_ms": None if second == 0 else 45 + second % 11}
            for second in range(0, 60, 2)]}}
    results_file = out_dir / "results with series.json"
    results_file.write_text(json.dumps(results), encoding="utf-8")
    proc = run_report_playbook(REPO_ROOT / "playbooks" / "report.yml", {
        "rehearsal_results_dir": str(out_dir), "report_results_file": str(results_file),
        "report_fail_on_verdict": False})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {"html": out_dir / f"staging_rehearsal_{STAMP}.html", "dir": out_dir}


def test_detail_column_is_readable_at_1280_px(failed_run, tmp_path):
    measured = _measure(failed_run["files"]["html"], tmp_path)
    assert measured["viewport"] == 1280
    assert measured["detail"] and min(measured["detail"]) >= 250, measured["columns"]
    # and no other column of the checks tables is squeezed to nothing
    assert min(width for table in measured["columns"] for width in table) >= 100, measured["columns"]


def test_charts_render_in_headless_chromium(charted_run, tmp_path):
    html = charted_run["html"].read_text(encoding="utf-8")
    for external in ("<script", "<link", "src=", "href=", "@import", "url(", "http://", "https://"):
        assert external not in html, external
    measured = _measure(charted_run["html"], tmp_path)
    charts = {chart["kind"].split()[-1]: chart for chart in measured["charts"]}
    assert set(charts) == {"load-chart", "timeline-chart"}, measured["charts"]
    for chart in charts.values():
        assert chart["w"] >= 900 and chart["h"] >= 200, chart
    assert charts["timeline-chart"]["marks"] == 6  # five timed phases and the outage window
    assert charts["load-chart"]["marks"] == 3  # p50, p95, requests/s of the candidate

    screenshot = tmp_path / "charts.png"
    bottom = max(chart["y"] + chart["h"] for chart in charts.values())
    proc = subprocess.run(
        [*_chromium_argv(tmp_path), f"--screenshot={screenshot}", f"--force-device-scale-factor={SCALE}",
         f"--window-size=1280,{int(bottom) + 50}", charted_run["html"].as_uri()],
        capture_output=True, text=True, timeout=180, check=False)
    assert screenshot.is_file(), proc.stderr[-2000:]
    _width, channels, rows = _png_pixels(screenshot, int((bottom + 10) * SCALE))
    timeline = _region(rows, channels, charts["timeline-chart"])
    load = _region(rows, channels, charts["load-chart"])
    for name, pixels in (("timeline", timeline), ("load", load)):
        background = max(set(pixels), key=pixels.count)
        drawn = sum(1 for pixel in pixels if pixel != background)
        assert drawn > len(pixels) // 50, f"the {name} chart looks blank: {drawn} of {len(pixels)} pixels drawn"
    assert _near(timeline, FAILED) > 100 and _near(timeline, PASSED) > 20, "no status bars in the timeline"
    assert _near(load, CANDIDATE, 120) > 50, "no candidate lines in the load chart"


# ------------------------------------------------------------------ history

def _history(directory: Path) -> list[dict]:
    return [json.loads(line) for line in (directory / "history.jsonl").read_text(encoding="utf-8").splitlines()]


def test_each_run_appends_one_compact_line_to_the_history(failed_run):
    lines = (failed_run["dir"] / "history.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and ": " not in lines[0]
    entry = json.loads(lines[0])
    document = json.loads(failed_run["files"]["json"].read_text(encoding="utf-8"))
    assert entry == document["history"]["entry"]
    assert entry["verdict"] == "failed" and entry["started_at"] == "2026-11-26T10:00:00.000000+00:00"
    assert entry["durations_s"]["deploy"] == 245.4 and entry["backup_bytes"] == 182734
    assert entry["release"] == {"app_tag": "staging-20261126-095500", "git_commit": "3f2c1a9"}
    assert oct((failed_run["dir"] / "history.jsonl").stat().st_mode & 0o777) == "0o644"


def test_rendering_the_same_run_again_adds_no_line(charted_run):
    before = _history(charted_run["dir"])
    proc = run_report_playbook(REPO_ROOT / "playbooks" / "report.yml", {
        "rehearsal_results_dir": str(charted_run["dir"]),
        "report_results_file": str(charted_run["dir"] / f"staging_rehearsal_{STAMP}.json"),
        "report_fail_on_verdict": False, "report_basename": "again"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _history(charted_run["dir"]) == before and len(before) == 1


def test_history_flags_a_p95_regression_against_the_median_of_the_last_five(tmp_path):
    base = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for day, p95 in enumerate([100, 110, 90, 105, 100, 300], start=1):
        results = copy.deepcopy(base)
        results["run"]["started_at"] = f"2026-11-{day:02d}T10:00:00+00:00"
        results["phases"]["load_test"]["evidence"]["p95_ms"] = p95
        results_file = tmp_path / f"run{day}.json"
        results_file.write_text(json.dumps(results), encoding="utf-8")
        proc = run_report_playbook(REPO_ROOT / "playbooks" / "report.yml", {
            "rehearsal_results_dir": str(tmp_path / "out"), "report_results_file": str(results_file),
            "report_fail_on_verdict": False, "report_history_runs": 4, "report_history_tolerance_pct": 50})
        assert proc.returncode == 0, proc.stdout + proc.stderr
    history = _history(tmp_path / "out")
    assert [entry["p95_ms"] for entry in history] == [100, 110, 90, 105, 100, 300]
    document = json.loads((tmp_path / "out" / "staging_rehearsal_20261106-100000.json").read_text(encoding="utf-8"))
    assert_report_schema(document)
    p95 = next(metric for metric in document["history"]["metrics"] if metric["id"] == "p95_ms")
    assert (p95["status"], p95["median"], p95["baseline_runs"]) == ("regressed", 100, 5)
    assert document["history"]["regressions"] == [
        "load-test p95 latency 300 ms is more than 50 % above the median of the last 5 runs (100 ms)"]
    assert document["verdict"]["status"] == "failed"  # the verdict is this run's, the flag only informs
    html = (tmp_path / "out" / "staging_rehearsal_20261106-100000.html").read_text(encoding="utf-8")
    assert "<strong>Regression:</strong> load-test p95 latency 300 ms" in html
    assert html.count('<svg class="sparkline"') >= 1
    assert len(re.findall(r"<tr><td>2026-11-0\d", html)) == 4  # the last 4 runs
    earlier = json.loads((tmp_path / "out" / "staging_rehearsal_20261105-100000.json").read_text(encoding="utf-8"))
    assert earlier["history"]["regressions"] == []


def test_report_retention_removes_old_reports_but_never_the_history(tmp_path):
    out = tmp_path / "out dir"  # a space in the path, as users have
    out.mkdir()
    (out / "history.jsonl").write_text('{"run_id": "old", "p95_ms": 90}\n', encoding="utf-8")
    # History older than any report must survive too: age the file beyond every report.
    os.utime(out / "history.jsonl", (0, 0))
    for stamp in ("20261120-100000", "20261121-100000", "20261122-100000"):
        for ext in ("md", "html", "json"):
            (out / f"staging_rehearsal_{stamp}.{ext}").write_text("old", encoding="utf-8")
    (out / "mine.json").write_text("{}", encoding="utf-8")
    proc = run_report_playbook(REPO_ROOT / "playbooks" / "report.yml", {
        "rehearsal_results_dir": str(out), "report_results_file": str(FIXTURE),
        "report_fail_on_verdict": False, "report_keep_runs": 2})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    left = sorted(path.name for path in out.iterdir())
    assert left == ["history.jsonl", "mine.json"] + [
        f"staging_rehearsal_{stamp}.{ext}" for stamp in ("20261122-100000", STAMP) for ext in ("html", "json", "md")]
    history = _history(out)
    assert [entry.get("run_id") for entry in history][0] == "old" and len(history) == 2


def test_a_check_mode_run_adds_no_line(tmp_path):
    proc = run_report_playbook(REPO_ROOT / "playbooks" / "report.yml", {
        "rehearsal_results_dir": str(tmp_path), "report_results_file": str(FIXTURE),
        "report_fail_on_verdict": False}, check=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / f"staging_rehearsal_{STAMP}.html").is_file()
    assert not (tmp_path / "history.jsonl").exists()


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
