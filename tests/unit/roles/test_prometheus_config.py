# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The example stack's Prometheus scrapes the ports of the env file: prometheus/prometheus.yml
is a template that the prometheus service's entrypoint (docker-compose.yml) renders at each
start. The entrypoint runs here with /bin/sh on temporary directories."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "football-prediction"
TEMPLATE = EXAMPLE / "prometheus" / "prometheus.yml"
SOURCE_DIR = "/etc/prometheus/footballpred"
RENDERED_DIR = "/prometheus/config"
PLACEHOLDERS = {"API_PORT", "PROMETHEUS_PORT"}


@pytest.fixture(scope="module")
def service() -> dict:
    compose = yaml.safe_load((EXAMPLE / "docker-compose.yml").read_text(encoding="utf-8"))
    return compose["services"]["prometheus"]


def run_entrypoint(service: dict, tmp_path: Path, env: dict) -> tuple[subprocess.CompletedProcess, Path]:
    script = service["entrypoint"][2]
    # A single $ would be interpolated by compose from the env file, not run by sh.
    assert not re.search(r"(?<!\$)\$(?!\$)", script.replace("$$", "")), script
    source, rendered = tmp_path / "source", tmp_path / "data" / "config"
    source.mkdir(exist_ok=True)
    rendered.parent.mkdir(exist_ok=True)
    for path in (EXAMPLE / "prometheus").iterdir():
        (source / path.name).write_bytes(path.read_bytes())
    script = (script.replace("$$", "$").replace(SOURCE_DIR, str(source)).replace(RENDERED_DIR, str(rendered))
              .replace("exec prometheus", "exec echo prometheus"))
    argv = ["/bin/sh", *service["entrypoint"][1:2], script, *service["entrypoint"][3:], *service["command"]]
    result = subprocess.run(argv, env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True,
                            timeout=30, check=False)
    return result, rendered


def test_the_service_wiring(service):
    assert service["entrypoint"][:2] == ["sh", "-euc"]
    assert f"./prometheus:{SOURCE_DIR}:ro" in service["volumes"]
    assert "prometheus-data:/prometheus" in service["volumes"]
    assert f"--config.file={RENDERED_DIR}/prometheus.yml" in service["command"]
    assert "--web.enable-lifecycle" in service["command"]
    assert {"API_PORT", "PROMETHEUS_PORT"} <= set(service["environment"])
    # Every placeholder of the template is one the entrypoint fills in.
    assert set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", TEMPLATE.read_text(encoding="utf-8"))) == PLACEHOLDERS


def test_targets_follow_the_env_ports(service, tmp_path):
    result, rendered = run_entrypoint(service, tmp_path, {"API_PORT": "48001", "PROMETHEUS_PORT": "49090"})
    assert result.returncode == 0, result.stderr
    # prometheus is exec'd with the compose flags, unchanged.
    assert result.stdout.split() == ["prometheus", *service["command"]]
    text = (rendered / "prometheus.yml").read_text(encoding="utf-8")
    assert "${" not in text
    assert text == TEMPLATE.read_text(encoding="utf-8").replace("${API_PORT}", "48001").replace(
        "${PROMETHEUS_PORT}", "49090")
    config = yaml.safe_load(text)
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert targets == {"football-api-staging": ["127.0.0.1:48001"], "prometheus-staging": ["127.0.0.1:49090"]}
    # rule_files are relative to the rendered config: the other files are linked beside it.
    for rule_file in config["rule_files"]:
        assert (rendered / rule_file).is_symlink()
        assert yaml.safe_load((rendered / rule_file).read_text(encoding="utf-8"))["groups"]
    # The next start (restart, the data volume kept) renders it again.
    result, rendered = run_entrypoint(service, tmp_path, {"API_PORT": "8001", "PROMETHEUS_PORT": "9090"})
    assert result.returncode == 0, result.stderr
    assert '["127.0.0.1:8001"]' in (rendered / "prometheus.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("env", [{"API_PORT": "", "PROMETHEUS_PORT": "9090"},
                                 {"API_PORT": "8001", "PROMETHEUS_PORT": "9090/x"}])
def test_ports_must_be_numbers(service, tmp_path, env):
    result, rendered = run_entrypoint(service, tmp_path, env)
    assert result.returncode == 1
    assert "must be port numbers" in result.stderr
    assert not (rendered / "prometheus.yml").exists()
