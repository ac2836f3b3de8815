# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image retention of the deploy role (tasks/prune.yml, with ansible-playbook on localhost):
which release tags go, which stay, and how they are removed. The community.docker modules
talk to a fake Docker engine API on a Unix socket that keeps the tags in memory and records
every DELETE, so no Docker engine is needed."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import socketserver
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml

from ansible_collections.footballpred.rehearsal.plugins.plugin_utils.judges import deploy
from support.playbook import playbook_argv, run_playbook

REPO_ROOT = Path(__file__).resolve().parents[3]
ROLE = REPO_ROOT / "roles" / "deploy"

REPO = "fp-unit/app"
ID = {n: f"sha256:{n:064x}" for n in range(1, 13)}
STAMP = {n: f"staging-20260101-{n:06d}" for n in range(1, 13)}
# Twelve releases, 000001 oldest. staging-previous, staging-latest, the rollback point, the
# running app and a stopped container hold the images of 000001 to 000005; the newest five
# are 000008 to 000012. Tags that only look like releases, and other repositories' tags of
# the same images, are never removed.
TAGS = {
    **{f"{REPO}:{STAMP[n]}": ID[n] for n in STAMP},
    f"{REPO}:staging-previous": ID[1],
    f"{REPO}:staging-latest": ID[2],
    f"{REPO}:staging-weird": ID[12],
    f"{REPO}:staging-backup-20260101-000007": ID[7],
    f"{REPO}:staging-20260101-00001": ID[6],
    f"{REPO}:xstaging-20260101-000006": ID[6],
    f"other/app:{STAMP[6]}": ID[6],
}
CONTAINER_IMAGES = [ID[5]]
PLAY_VARS = {
    "deploy_app_image": REPO,
    "deploy_rollback_point": {"image_id": ID[3]},
    "_deploy_app_after": {"container": {"Image": ID[4]}},
    "_deploy_probes": {},
}

PLAYBOOK = """\
- name: Prune the release images
  hosts: localhost
  connection: local
  gather_facts: false
  vars_files:
    - {defaults}
    - {role_vars}
    - {play_vars}
  tasks:
    - name: Prune
      ansible.builtin.include_tasks: {prune}
    - name: Keep what was probed
      ansible.builtin.copy:
        content: "{{{{ {{'probes': _deploy_probes, 'targets': {{'keep_releases': deploy_keep_releases}}}} | to_json }}}}"
        dest: {out}
        mode: "0600"
      check_mode: false
"""


class FakeEngine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The part of the Docker engine API (1.41) the prune tasks use."""

    daemon_threads = True

    def __init__(self, path: str, tags: dict, container_images: list, broken: tuple = ()):
        self.tags = dict(tags)
        self.container_images = container_images
        self.broken = set(broken)
        self.deletes: list[tuple[str, dict]] = []
        super().__init__(path, Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FakeEngine

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def reply(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def route(self) -> tuple[str, dict]:
        url = urlsplit(self.path)
        return re.sub(r"^/v[0-9.]+", "", url.path), {k: v[-1] for k, v in parse_qs(url.query).items()}

    def image(self, image_id: str, refs: list) -> dict:
        return {"Id": image_id, "ParentId": "", "RepoTags": refs, "RepoDigests": [], "Created": 0, "Size": 0,
                "Labels": {}, "Containers": -1}

    def refs_of(self, image_id: str) -> list:
        return sorted(ref for ref, ident in self.server.tags.items() if ident == image_id)

    def do_GET(self):  # pylint: disable=invalid-name
        path, query = self.route()
        if path == "/version":
            return self.reply(200, {"ApiVersion": "1.41", "MinAPIVersion": "1.12", "Version": "20.10.24"})
        if path == "/info":
            return self.reply(200, {"ServerVersion": "20.10.24"})
        if path == "/containers/json":
            return self.reply(200, [{"Id": f"c{n}", "Names": [f"/c{n}"], "Image": image, "ImageID": image,
                                     "State": "exited"} for n, image in enumerate(self.server.container_images)])
        if path == "/images/json":
            patterns = json.loads(query.get("filters", "{}")).get("reference", ["*"])
            # As the engine does: a pattern matches name:tag, or the name alone.
            listed: dict = {}
            for ref, image_id in self.server.tags.items():
                if any(fnmatch.fnmatchcase(ref, p) or fnmatch.fnmatchcase(ref.rpartition(":")[0], p) for p in patterns):
                    listed.setdefault(image_id, []).append(ref)
            return self.reply(200, [self.image(image_id, sorted(refs)) for image_id, refs in listed.items()])
        match = re.fullmatch(r"/images/(.+)/json", path)
        if match:
            name = unquote(match.group(1))
            image_id = self.server.tags.get(name, name if name in self.server.tags.values() else None)
            if image_id is None:
                return self.reply(404, {"message": f"No such image: {name}"})
            return self.reply(200, self.image(image_id, self.refs_of(image_id)))
        return self.reply(404, {"message": f"not faked: GET {path}"})

    def do_DELETE(self):  # pylint: disable=invalid-name
        path, query = self.route()
        name = unquote(path.removeprefix("/images/"))
        self.server.deletes.append((name, query))
        if name in self.server.broken:
            return self.reply(500, {"message": "driver failed removing the image"})
        if name not in self.server.tags:
            return self.reply(404, {"message": f"No such image: {name}"})
        image_id = self.server.tags.pop(name)
        return self.reply(200, [{"Untagged": name}] + ([] if self.refs_of(image_id) else [{"Deleted": image_id}]))


@pytest.fixture
def engine():
    """Start a fake engine: engine(broken=(...)) -> FakeEngine, DOCKER_HOST."""
    # A short directory: a Unix socket path is limited to about 100 bytes.
    directory = tempfile.mkdtemp(prefix="fp-docker-")
    servers = []

    def start(broken: tuple = ()) -> tuple[FakeEngine, str]:
        path = os.path.join(directory, f"docker{len(servers)}.sock")
        server = FakeEngine(path, TAGS, CONTAINER_IMAGES, broken)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server, f"unix://{path}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    shutil.rmtree(directory, ignore_errors=True)


def prune(tmp_path: Path, docker_host: str, *args: str, extra_vars: dict | None = None, **play_vars) -> dict:
    """Run tasks/prune.yml against the engine at docker_host; the checks and evidence the
    judge deploy makes of what it probed."""
    variables = tmp_path / "play_vars.yml"
    variables.write_text(yaml.safe_dump({**PLAY_VARS, **play_vars}), encoding="utf-8")
    out = tmp_path / "probed.json"
    playbook = tmp_path / "prune.yml"
    playbook.write_text(PLAYBOOK.format(defaults=ROLE / "defaults" / "main.yml", role_vars=ROLE / "vars" / "main.yml",
                                        play_vars=variables,
                                        prune=ROLE / "tasks" / "prune.yml", out=out), encoding="utf-8")
    base_env = {key: value for key, value in os.environ.items()
                if key not in ("DOCKER_API_VERSION", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")}
    # The collection of this checkout (its filters choose the tags), without the project's ansible.cfg.
    env = {"DOCKER_HOST": docker_host, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
           "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
           "ANSIBLE_COLLECTIONS_PATH": str(REPO_ROOT / "collections")}
    argv = playbook_argv(playbook, inventory="localhost,", args=args,
                         extra_vars={"ansible_python_interpreter": sys.executable, **(extra_vars or {})})
    result = run_playbook(argv, env=env, base_env=base_env, config=None, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    probed = json.loads(out.read_text(encoding="utf-8"))
    return deploy.judge(probed["probes"], probed["targets"])


def test_keeps_the_newest_releases_and_every_image_in_use_or_to_come_back_to(tmp_path, engine):
    server, host = engine()
    recorded = prune(tmp_path, host)
    # Only 000006 and 000007 are old and unprotected; one DELETE per tag, never forced,
    # untagged parents left alone.
    assert server.deletes == [(f"{REPO}:{STAMP[n]}", {"force": "False", "noprune": "True"}) for n in (7, 6)]
    assert server.tags == {ref: image for ref, image in TAGS.items()
                           if ref not in (f"{REPO}:{STAMP[6]}", f"{REPO}:{STAMP[7]}")}
    assert recorded["checks"] == [{
        "name": "release_images_pruned", "status": "passed",
        "value": "removed 2 of 12 release tags, kept 10", "target": "keep newest 5",
        "detail": f"removed {STAMP[7]}, {STAMP[6]}; kept, image in use or a rollback target: "
                  f"{STAMP[5]}, {STAMP[4]}, {STAMP[3]}, {STAMP[2]}, {STAMP[1]}"}]
    assert recorded["evidence"]["image_retention"] == {
        "keep": 5, "release_tags": 12, "removed": [STAMP[7], STAMP[6]],
        "spared": [STAMP[n] for n in (5, 4, 3, 2, 1)], "failed": []}


def test_keep_zero_keeps_every_release(tmp_path, engine):
    server, host = engine()
    recorded = prune(tmp_path, host, extra_vars={"deploy_keep_releases": 0})
    assert server.deletes == []
    assert recorded["checks"][0]["value"] == "removed 0 of 12 release tags, kept 12"
    assert recorded["checks"][0]["target"] == "keep all"
    assert recorded["checks"][0]["detail"] == "nothing to remove"


def test_check_mode_removes_nothing_and_says_what_it_would(tmp_path, engine):
    server, host = engine()
    recorded = prune(tmp_path, host, "--check", extra_vars={"deploy_keep_releases": 3})
    assert server.deletes == []
    assert server.tags == TAGS
    # 000008 and 000009 fall out of the newest 3 too.
    assert recorded["checks"][0]["value"] == "would remove 4 of 12 release tags, would keep 8"
    assert recorded["checks"][0]["detail"].startswith(
        f"would remove {STAMP[9]}, {STAMP[8]}, {STAMP[7]}, {STAMP[6]}; kept, image in use")


def test_a_tag_that_cannot_be_removed_warns_and_the_others_still_go(tmp_path, engine):
    server, host = engine(broken=(f"{REPO}:{STAMP[7]}",))
    recorded = prune(tmp_path, host)
    assert f"{REPO}:{STAMP[6]}" not in server.tags and f"{REPO}:{STAMP[7]}" in server.tags
    check = recorded["checks"][0]
    assert check["status"] == "warned"
    assert check["value"] == "removed 1 of 12 release tags, kept 11"
    assert f"could not remove: {STAMP[7]} - " in check["detail"]
    assert recorded["evidence"]["image_retention"]["failed"] == [STAMP[7]]
