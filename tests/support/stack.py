# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An isolated copy of the example stack: a compose project of its own beside the shared
staging stack (football-prediction-staging), on its own ports, volumes and app image.

Used by the end-to-end suite (tests/e2e/harness.py, on a copy of the project) and the
benchmarks (bench/bench.py, on the project itself with an env file of its own). Each
decides what to refuse and how to bring the stack up; this class holds what they share:
the ports, the compose command, the env file and inventory values that point the stack
at them, and the project's containers, volumes and app image tags.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from support import ROOT

SOURCE_PROJECT = ROOT / "examples" / "football-prediction"
COMPOSE_FILES = ["docker-compose.yml", "docker-compose.staging.yml"]
# The shared staging stack's ports (docs/CONVENTIONS.md).
STAGING_PORTS = {"api": 8001, "db": 5433, "redis": 6380, "kafka": 9093, "mlflow": 5001, "prometheus": 9090}


class StackError(Exception):
    """A docker command for the isolated stack failed."""


def port_listens(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def shifted_ports(base: int) -> dict[str, int]:
    """The staging ports plus ``base`` (30000: 38001/35433/36380/39093/35001/39090)."""
    return {name: base + port for name, port in STAGING_PORTS.items()}


def retarget_env_text(text: str, values: dict, append_missing: bool = False) -> str:
    """An env file text with every uncommented KEY= line of ``values`` set to its value;
    the keys the text lacks appended when ``append_missing``."""
    lines, seen = [], set()
    for line in text.splitlines():
        key = line.split("=", 1)[0].strip()
        if "=" in line and not line.lstrip().startswith("#") and key in values:
            line = f"{key}={values[key]}"
            seen.add(key)
        lines.append(line)
    if append_missing:
        lines += [f"{key}={value}" for key, value in values.items() if key not in seen]
    return "\n".join(lines) + "\n"


class IsolatedStack:
    """Compose project ``project_name`` of the example stack in ``project_dir``, on
    ``ports`` (api, db, redis, kafka, mlflow, prometheus), app image ``app_image``.

    docker() runs the docker CLI with ``env``; a subclass may run it its own way (its own
    error type, process groups), every query here goes through it."""

    def __init__(self, project_name: str, ports: dict[str, int], app_image: str,
                 project_dir: Path = SOURCE_PROJECT, env: dict | None = None) -> None:
        self.project_name = project_name
        self.ports = dict(ports)
        self.app_image = app_image
        self.project_dir = project_dir
        self.env = env
        self.api = f"http://127.0.0.1:{self.ports['api']}"

    # --- commands -------------------------------------------------------------------------
    def docker(self, *args, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        done = subprocess.run(["docker", *map(str, args)], env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise StackError(f"exit {done.returncode}: docker {' '.join(map(str, args))}\n{done.stderr[-2000:]}")
        return done

    def compose_command(self, env_file: Path, *args) -> list[str]:
        """docker compose for this project, its compose files and ``env_file``."""
        argv = ["docker", "compose", "--project-name", self.project_name, "--project-directory", str(self.project_dir)]
        for name in COMPOSE_FILES:
            argv += ["--file", str(self.project_dir / name)]
        return argv + ["--env-file", str(env_file), *map(str, args)]

    # --- ports ----------------------------------------------------------------------------
    def clashing_ports(self, foreign: set[int]) -> list[int]:
        return sorted(set(self.ports.values()) & foreign)

    def busy_ports(self) -> dict[str, int]:
        """The ports of this stack something already listens on."""
        return {name: port for name, port in self.ports.items() if port_listens(port)}

    # --- what points the stack and the rehearsal at it -------------------------------------------
    def env_values(self) -> dict[str, str]:
        """The env file keys that carry this stack's project, ports and app image."""
        ports = self.ports
        return {
            "COMPOSE_PROJECT_NAME": self.project_name,
            "API_PORT": str(ports["api"]), "APP_PORT": str(ports["api"]),
            "STAGING_DB_PORT": str(ports["db"]),
            "REDIS_PORT": str(ports["redis"]),
            "KAFKA_PORT": str(ports["kafka"]), "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{ports['kafka']}",
            "MLFLOW_PORT": str(ports["mlflow"]), "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{ports['mlflow']}",
            "PROMETHEUS_PORT": str(ports["prometheus"]), "PROMETHEUS_URL": f"http://127.0.0.1:{ports['prometheus']}",
            "APP_IMAGE": self.app_image,
        }

    def inventory_vars(self) -> dict:
        """The rehearsal's inventory values that aim it at this stack."""
        ports = self.ports
        return {
            "rehearsal_project_dir": str(self.project_dir),
            "rehearsal_compose_project": self.project_name,
            "rehearsal_api_port": ports["api"],
            "rehearsal_db_port": ports["db"],
            "rehearsal_redis_port": ports["redis"],
            "rehearsal_kafka_bootstrap_servers": f"127.0.0.1:{ports['kafka']}",
            "rehearsal_mlflow_url": f"http://127.0.0.1:{ports['mlflow']}",
            "rehearsal_prometheus_url": f"http://127.0.0.1:{ports['prometheus']}",
            "rehearsal_app_image": self.app_image,
        }

    # --- what the project has on the engine --------------------------------------------------
    def project_containers(self) -> list[str]:
        """IDs of every container of the compose project, running or not."""
        found = self.docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={self.project_name}")
        return found.stdout.split()

    def project_volumes(self) -> list[str]:
        found = self.docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={self.project_name}")
        return found.stdout.split()

    def image_tags(self) -> dict[str, str]:
        """Tag -> short image ID of every tag of the app image."""
        listed = self.docker("image", "ls", self.app_image, "--format", "{{.Tag}} {{.ID}}").stdout
        return dict(line.split(" ", 1) for line in listed.splitlines() if " " in line)

    def remove_image_tags(self) -> list[str]:
        """Untag every tag of the app image (images still in use stay); the references removed."""
        tags = [f"{self.app_image}:{tag}" for tag in self.image_tags()]
        if tags:
            self.docker("image", "rm", *tags, check=False)
        return tags
