# Copyright (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Running PostgreSQL client programs inside the database container (Docker SDK).

Shared by the modules that reach the database through C(docker exec) rather than over
the network (db_dump, db_restore): their common options, the guarded import of the
Docker SDK, finding the compose service's container, running commands in it and
checking how they ended.
"""

from __future__ import annotations

import hashlib
import os
import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import docker
    from docker.errors import DockerException, NotFound
    from docker.utils.socket import consume_socket_output, demux_adaptor, frames_iter
except ImportError:
    docker = None
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    # The modules name these in except clauses; with the SDK missing they fail before
    # any of them can be raised.
    class DockerException(Exception):  # type: ignore[no-redef]
        """Stands in for docker.errors.DockerException."""

    class NotFound(DockerException):  # type: ignore[no-redef]
        """Stands in for docker.errors.NotFound."""
else:
    DOCKER_IMPORT_ERROR = None

HAS_DOCKER = docker is not None

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
COPY_CHUNK = 1024 * 1024
STDERR_LIMIT = 64 * 1024

DOCKER_DB_MUTUALLY_EXCLUSIVE = [("container", "project")]
DOCKER_DB_REQUIRED_ONE_OF = [("container", "project")]


class DockerDbError(Exception):
    """The database container is not there, or a program run in it failed."""


def docker_db_argument_spec() -> dict:
    """Options shared by every module that runs a PostgreSQL client in the db container.

    Which container (O(container), or O(project) and O(service)), how to reach Docker,
    and how the client logs in from inside the container.
    """
    return dict(
        container=dict(type="str"),
        project=dict(type="str"),
        service=dict(type="str", default="db"),
        docker_host=dict(type="str"),
        timeout=dict(type="int", default=60),
        login_user=dict(type="str", required=True),
        login_password=dict(type="str", default="", no_log=True),
        login_host=dict(type="str"),
        login_port=dict(type="int"),
        exec_user=dict(type="str"),
    )


def ensure_docker(module) -> None:
    """Fail the module the Ansible way when the Docker SDK cannot be imported."""
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib("docker"), exception=DOCKER_IMPORT_ERROR)


def resolve_docker_host(params: dict) -> str:
    """The daemon to talk to: O(docker_host), else E(DOCKER_HOST), else the default socket."""
    return params["docker_host"] or os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


def docker_client(docker_host: str, timeout: int):
    """A Docker SDK client for ``docker_host`` whose API calls time out after ``timeout`` seconds."""
    return docker.DockerClient(base_url=docker_host, timeout=timeout)


def find_container(client, params: dict):
    """The running database container: O(container) by name or ID, else O(service) of O(project).

    When several containers run the service, the first by name is taken, so repeated runs
    pick the same one. Raises DockerDbError when none is running.
    """
    if params["container"]:
        try:
            container = client.containers.get(params["container"])
        except NotFound as exc:
            raise DockerDbError(f"container {params['container']!r} not found") from exc
        if container.status != "running":
            raise DockerDbError(f"container {container.name} is {container.status}, not running")
        return container
    labels = [
        f"com.docker.compose.project={params['project']}",
        f"com.docker.compose.service={params['service']}",
    ]
    running = client.containers.list(filters={"label": labels, "status": "running"})
    if not running:
        raise DockerDbError(f"no running container for service {params['service']!r} of compose project {params['project']!r}")
    return sorted(running, key=lambda container: container.name)[0]


def container_summary(container) -> dict:
    """What a module returns about the container it used."""
    return {"id": container.id, "name": container.name}


def login_args(params: dict) -> list[str]:
    """The C(--username), C(--host) and C(--port) arguments every PostgreSQL client takes."""
    args = [f"--username={params['login_user']}"]
    if params["login_host"]:
        args.append(f"--host={params['login_host']}")
    if params["login_port"]:
        args.append(f"--port={params['login_port']}")
    return args


def exec_environment(params: dict) -> dict | None:
    """The exec's environment: the password travels as E(PGPASSWORD), never on a command line."""
    return {"PGPASSWORD": params["login_password"]} if params["login_password"] else None


def create_exec(client, container, command: list[str], params: dict, stdin: bool = False) -> str:
    """Create (not start) an exec of ``command`` in ``container``; return its ID."""
    return client.api.exec_create(
        container.id, command, stdin=stdin, stdout=True, stderr=True, tty=False,
        environment=exec_environment(params), user=params["exec_user"] or "",
    )["Id"]


def check_exit_code(client, exec_id: str, program: str, error_text: str) -> None:
    """Raise DockerDbError, naming ``program`` and quoting ``error_text``, unless the exec exited 0."""
    exit_code = client.api.exec_inspect(exec_id).get("ExitCode")
    if exit_code != 0:
        raise DockerDbError(f"{program} exited {exit_code}: {error_text}")


def decode_output(data: bytes | None) -> str:
    """Program output as text; bytes that are not UTF-8 must not break the module."""
    return (data or b"").decode("utf-8", "replace")


def run_in_container(client, container, command: list[str], params: dict) -> str:
    """Run a short command in the container; return its stdout, raise DockerDbError on a non-zero exit."""
    exec_id = create_exec(client, container, command, params)
    stdout, stderr = client.api.exec_start(exec_id, demux=True)
    check_exit_code(client, exec_id, command[0], decode_output(stderr).strip())
    return decode_output(stdout)


def read_exec_socket(sock) -> tuple[bytes | None, bytes | None]:
    """Read an attached exec's multiplexed output until it closes; return ``(stdout, stderr)``."""
    frames = (demux_adaptor(*frame) for frame in frames_iter(sock, tty=False))
    return consume_socket_output(frames, demux=True)


def file_sha256(path: str) -> str:
    """SHA-256 (hex) of the file at ``path``, read in chunks so any size fits in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(COPY_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
