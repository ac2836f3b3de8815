#!/usr/bin/python
# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mlflow_check
short_description: Check an MLflow tracking server and its model registry
version_added: 0.1.0
description:
  - Calls the MLflow server's C(/health) and C(/version) endpoints.
  - Lists the registered models (C(/api/2.0/mlflow/registered-models/search)) with their aliases
    and all their versions and stages (C(/api/2.0/mlflow/model-versions/search)).
  - Reports which of O(required_models) are not satisfied in RV(missing_models).
  - Speaks plain HTTP; the C(mlflow) Python package is not needed.
  - A server that cannot be reached is a result (RV(is_available=false) and RV(error)), not a
    failure. Bad parameters fail the task.
author:
  - Football Prediction Platform SRE (@footballpred)
options:
  tracking_uri:
    description:
      - Base URL of the MLflow server, with its path prefix if it has one.
      - Falls back to E(MLFLOW_TRACKING_URI), then to the staging stack's server.
    type: str
    default: http://127.0.0.1:5001
  username:
    description:
      - User for HTTP basic authentication. Falls back to E(MLFLOW_TRACKING_USERNAME).
    type: str
  password:
    description:
      - Password for HTTP basic authentication. Never returned nor logged.
      - Falls back to E(MLFLOW_TRACKING_PASSWORD).
    type: str
  token:
    description:
      - Bearer token, sent as C(Authorization) header. Never returned nor logged.
      - Falls back to E(MLFLOW_TRACKING_TOKEN). Mutually exclusive with O(username).
    type: str
  required_models:
    description:
      - Models that must be registered, in MLflow's model URI spelling without the C(models:/) prefix.
      - V(name) requires the model; V(name@alias) requires the alias to exist on one of its versions;
        V(name/Stage) requires a version in that stage (for example V(football-match-predictor/Staging)).
    type: list
    elements: str
    default: []
  max_models:
    description:
      - Upper bound on the number of registered models (and of versions per model) that are read.
    type: int
    default: 1000
extends_documentation_fragment:
  - footballpred.rehearsal.http_options
  - footballpred.rehearsal.attributes
attributes:
  check_mode:
    support: full
    details:
      - The module only reads; it runs unchanged in check mode.
  diff_mode:
    support: none
seealso:
  - module: footballpred.rehearsal.api_check
  - name: MLflow REST API
    description: Reference of the model registry endpoints.
    link: https://mlflow.org/docs/latest/rest-api.html
"""

EXAMPLES = r"""
- name: The model registry answers and holds the staging model
  footballpred.rehearsal.mlflow_check:
    tracking_uri: http://127.0.0.1:5001
    required_models:
      - football-match-predictor@staging
      - football-match-predictor/Staging
  register: registry
  failed_when: not registry.ok

- name: Show which version the staging alias points to
  ansible.builtin.debug:
    msg: >-
      {{ (registry.registered_models | selectattr('name', 'equalto', 'football-match-predictor')
      | first).aliases.staging }}
"""

RETURN = r"""
ok:
  description: V(true) when C(/health) said OK, C(/version) and the searches answered and no required model is missing.
  returned: always
  type: bool
  sample: true
is_available:
  description: Whether the server sent any HTTP response to C(/health).
  returned: always
  type: bool
  sample: true
error:
  description: Why the server is unavailable, or the first failed check; empty when there is none.
  returned: always
  type: str
  sample: "ConnectionRefusedError: [Errno 111] Connection refused"
health:
  description: Outcome of C(GET /health).
  returned: always
  type: dict
  sample: {ok: true, status: 200, body: OK, latency_ms: 3.2}
server_version:
  description: Version from C(GET /version).
  returned: when RV(is_available=true)
  type: dict
  sample: {major: 2, minor: 22, patch: 5, full: "2.22.5"}
registered_models:
  description:
    - Registered models, sorted by name, each with C(aliases) (alias to version), C(latest_versions)
      (latest version per stage) and C(versions) (every version, newest first).
    - Each version is C({version, stage, status, run_id, aliases, creation_timestamp}).
  returned: when RV(is_available=true)
  type: list
  elements: dict
  sample:
    - name: football-match-predictor
      aliases: {staging: "2"}
      latest_versions: [{version: "1", stage: None}, {version: "2", stage: Staging}]
      versions:
        - {version: "2", stage: Staging, status: READY, run_id: 4c1e0f..., aliases: [staging], creation_timestamp: 1764150000000}
        - {version: "1", stage: None, status: READY, run_id: 9a3b77..., aliases: [], creation_timestamp: 1764140000000}
model_count:
  description: Number of registered models read.
  returned: when RV(is_available=true)
  type: int
  sample: 1
search_latency_ms:
  description: Time taken by the registry searches, in milliseconds.
  returned: when RV(is_available=true)
  type: float
  sample: 18.7
missing_models:
  description: Entries of O(required_models) that are not satisfied.
  returned: always
  type: list
  elements: str
  sample: []
"""


from urllib.parse import urlencode

from ansible.module_utils.basic import AnsibleModule, env_fallback
from ansible_collections.footballpred.rehearsal.plugins.module_utils.common import (
    elapsed_ms,
    monotonic,
    parse_version,
)
from ansible_collections.footballpred.rehearsal.plugins.module_utils.http_client import (
    http_argument_spec,
    http_request,
    parse_json,
    tls_context,
    validate_http_params,
)

REGISTRY_API = "/api/2.0/mlflow"
PAGE_SIZE = 100
BODY_EXCERPT = 200


class RegistryError(Exception):
    """A registry request did not return the JSON it should."""


class MlflowClient:
    def __init__(self, base_url: str, params: dict, secrets: tuple):
        self.base_url = base_url
        self.params = params
        self.secrets = secrets
        self.context = tls_context(params["validate_certs"], params["ca_path"])
        self.headers = {"Accept": "application/json"}
        if params["token"]:
            self.headers["Authorization"] = "Bearer %s" % params["token"]

    def get(self, path: str, query: dict | None = None) -> dict:
        url = self.base_url + path + ("?" + urlencode(query) if query else "")
        return http_request(url, headers=self.headers, timeout=self.params["timeout"], context=self.context,
                            url_username=self.params["username"], url_password=self.params["password"],
                            secrets=self.secrets)

    def get_json(self, path: str, query: dict) -> dict:
        response = self.get(path, query)
        if not response["reached"]:
            raise RegistryError("%s: %s" % (path, response["error"]))
        if response["status"] != 200:
            raise RegistryError("%s answered HTTP %s: %s" % (path, response["status"], excerpt(response["body"])))
        document, error = parse_json(response["body"])
        if error or not isinstance(document, dict):
            raise RegistryError("%s did not answer a JSON object: %s" % (path, error or excerpt(response["body"])))
        return document

    def search(self, path: str, key: str, limit: int, query: dict | None = None) -> list:
        """Follow C(next_page_token) until ``limit`` items are read or there are no more pages."""
        items = []
        page_token = None
        while len(items) < limit:
            page_query = dict(query or {}, max_results=min(PAGE_SIZE, limit - len(items)))
            if page_token:
                page_query["page_token"] = page_token
            document = self.get_json(path, page_query)
            items.extend(document.get(key, []))
            page_token = document.get("next_page_token")
            if not page_token:
                break
        return items


def excerpt(body: bytes) -> str:
    return body[:BODY_EXCERPT].decode("utf-8", "replace").strip()


def check_health(client: MlflowClient) -> dict:
    response = client.get("/health")
    text = excerpt(response["body"])
    ok = response["status"] == 200 and text.upper().startswith("OK")
    if response["reached"] and not ok:
        error = "/health answered HTTP %s: %s" % (response["status"], text)
    else:
        error = response["error"]
    return dict(ok=ok, status=response["status"], body=text, latency_ms=response["latency_ms"], reached=response["reached"],
                error=error)


def check_version(client: MlflowClient) -> tuple:
    response = client.get("/version")
    if response["status"] != 200:
        return {}, "/version answered HTTP %s: %s" % (response["status"], response["error"] or excerpt(response["body"]))
    return parse_version(excerpt(response["body"])), ""


def describe_version(version: dict) -> dict:
    return dict(
        version=str(version.get("version")),
        stage=version.get("current_stage"),
        status=version.get("status"),
        run_id=version.get("run_id"),
        aliases=sorted(version.get("aliases", [])),
        creation_timestamp=version.get("creation_timestamp"),
    )


def list_models(client: MlflowClient, limit: int) -> list:
    models = []
    for model in client.search(REGISTRY_API + "/registered-models/search", "registered_models", limit):
        name = model["name"]
        filter_expr = "name = '%s'" % name.replace("'", "\\'")
        versions = client.search(REGISTRY_API + "/model-versions/search", "model_versions", limit,
                                 query={"filter": filter_expr})
        aliases = {entry["alias"]: str(entry["version"]) for entry in model.get("aliases", [])}
        for version in versions:
            version["aliases"] = [alias for alias, number in aliases.items() if number == str(version.get("version"))]
        models.append(dict(
            name=name,
            aliases=aliases,
            latest_versions=[dict(version=str(entry.get("version")), stage=entry.get("current_stage"))
                             for entry in model.get("latest_versions", [])],
            versions=sorted((describe_version(version) for version in versions),
                            key=lambda entry: int(entry["version"]) if entry["version"].isdigit() else 0,
                            reverse=True),
        ))
    return sorted(models, key=lambda model: model["name"])


def parse_requirement(entry: str) -> tuple:
    """Split V(name), V(name@alias) or V(name/Stage) into ``(name, kind, value)``."""
    if "@" in entry:
        name, alias = entry.split("@", 1)
        return name, "alias", alias
    if "/" in entry:
        name, stage = entry.rsplit("/", 1)
        return name, "stage", stage
    return entry, "model", None


def is_satisfied(requirement: tuple, models: dict) -> bool:
    name, kind, value = requirement
    model = models.get(name)
    if model is None:
        return False
    if kind == "alias":
        return value in model["aliases"]
    if kind == "stage":
        return any((version["stage"] or "").lower() == value.lower() for version in model["versions"])
    return True


def validate_params(module) -> str:
    base_url = validate_http_params(module, "tracking_uri")
    params = module.params
    if params["max_models"] < 1:
        module.fail_json(msg="max_models must be at least 1")
    for entry in params["required_models"]:
        name, kind, value = parse_requirement(entry)
        if not name or (kind != "model" and not value):
            module.fail_json(msg="required_models entry %r must be name, name@alias or name/Stage" % entry)
    return base_url


def main():
    argument_spec = http_argument_spec()
    argument_spec.update(
        tracking_uri=dict(type="str", default="http://127.0.0.1:5001", fallback=(env_fallback, ["MLFLOW_TRACKING_URI"])),
        username=dict(type="str", fallback=(env_fallback, ["MLFLOW_TRACKING_USERNAME"])),
        password=dict(type="str", no_log=True, fallback=(env_fallback, ["MLFLOW_TRACKING_PASSWORD"])),
        token=dict(type="str", no_log=True, fallback=(env_fallback, ["MLFLOW_TRACKING_TOKEN"])),
        required_models=dict(type="list", elements="str", default=[]),
        max_models=dict(type="int", default=1000),
    )
    module = AnsibleModule(argument_spec=argument_spec, mutually_exclusive=[("token", "username")],
                           required_together=[("username", "password")], supports_check_mode=True)
    base_url = validate_params(module)
    params = module.params
    secrets = tuple(secret for secret in (params["password"], params["token"]) if secret)
    client = MlflowClient(base_url, params, secrets)

    result = dict(changed=False, ok=False, is_available=False, error="",
                  missing_models=list(params["required_models"]))
    health = check_health(client)
    result["is_available"] = health.pop("reached")
    health_error = health.pop("error")
    result["health"] = health
    if not result["is_available"]:
        result["error"] = health_error
        module.exit_json(**result)

    errors = [health_error] if health_error else []
    result["server_version"], version_error = check_version(client)
    if version_error:
        errors.append(version_error)

    started = monotonic()
    try:
        models = list_models(client, params["max_models"])
    except RegistryError as exc:
        models = []
        errors.append(str(exc))
    result["search_latency_ms"] = elapsed_ms(started)
    result["registered_models"] = models
    result["model_count"] = len(models)
    by_name = {model["name"]: model for model in models}
    result["missing_models"] = [entry for entry in params["required_models"]
                                if not is_satisfied(parse_requirement(entry), by_name)]
    if result["missing_models"]:
        errors.append("missing models: %s" % ", ".join(result["missing_models"]))

    result["error"] = errors[0] if errors else ""
    result["ok"] = not errors
    module.exit_json(**result)


if __name__ == "__main__":
    main()
