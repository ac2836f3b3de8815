#!/usr/bin/python
# Copyright (c) 2025, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: api_check
short_description: Run HTTP contract probes against an API, concurrently
version_added: 0.1.0
description:
  - Sends a list of HTTP requests (probes) to one API, several at a time, and checks each response
    against its expectations - status code, JSON paths that must exist or equal a value, text the body
    must or must not contain, and a latency budget.
  - Each probe is reported with its status, latency, verdict, the reason when it failed, and the parsed
    JSON body (truncated so that the result stays small).
  - JSON values are compared as JSON, never as text, so a C(status) of V(unhealthy) does not pass a check
    for V(healthy) (as a C(grep healthy) would).
  - An API that cannot be reached is a result (each probe fails with the connection error,
    RV(is_available=false)), not a module failure. Bad parameters fail the task.
author:
  - Football Prediction Platform SRE (@footballpred)
options:
  base_url:
    description:
      - Scheme, host, port (and path prefix, if any) the probe paths are appended to.
    type: str
    default: http://127.0.0.1:8001
  headers:
    description:
      - Headers sent with every probe; a probe's own O(probes[].headers) win.
      - They are not returned, but are shown with the task's arguments at high verbosity unless the task sets C(no_log).
    type: dict
    default: {}
  concurrency:
    description:
      - How many probes run at the same time.
    type: int
    default: 8
  max_json_items:
    description:
      - Lists and objects in the returned RV(probes[].json) keep at most this many entries.
    type: int
    default: 20
  max_string_length:
    description:
      - Strings in the returned RV(probes[].json) keep at most this many characters.
    type: int
    default: 500
  probes:
    description:
      - The requests to send and what their responses must satisfy. All conditions of a probe must hold for it to pass.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Unique name of the probe, used in the results.
        type: str
        required: true
      path:
        description:
          - Path (with query string, if any) appended to O(base_url); must start with C(/).
        type: str
        required: true
      method:
        description:
          - HTTP method.
        type: str
        default: GET
        choices: [GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS]
      body:
        description:
          - Request body. Serialized as JSON when O(probes[].body_format=json), sent as is (it must be a string) when V(raw).
        type: raw
      body_format:
        description:
          - How O(probes[].body) is sent. V(json) also sets C(Content-Type) to C(application/json) unless a header does.
        type: str
        default: json
        choices: [json, raw]
      headers:
        description:
          - Headers of this probe.
        type: dict
        default: {}
      status:
        description:
          - Accepted status codes, one or a list.
        type: list
        elements: int
        default: [200]
      json_exists:
        description:
          - JSON paths that must exist in the response, such as V(models[0].name) or V(predictions[*].confidence)
            (every element must have it).
        type: list
        elements: str
        default: []
      json_equals:
        description:
          - JSON paths and the value each must equal, compared as JSON (type-strict, so V("1") is not V(1)).
          - With C([*]) in a path, every element must equal the value.
        type: dict
        default: {}
      body_contains:
        description:
          - Texts the body must contain.
        type: list
        elements: str
        default: []
      body_not_contains:
        description:
          - Texts the body must not contain.
        type: list
        elements: str
        default: []
      max_latency_ms:
        description:
          - Latency budget of the probe in milliseconds, measured until the whole body is read.
        type: float
      timeout:
        description:
          - Seconds to wait for this probe's response; defaults to O(timeout).
        type: float
      read_only:
        description:
          - Whether the request leaves the service unchanged, so it may run in check mode.
          - Defaults to V(true) for C(GET), C(HEAD) and C(OPTIONS) and to V(false) for the other methods;
            set it to V(true) for a C(POST) the API treats as a read (such as a prediction).
        type: bool
extends_documentation_fragment:
  - footballpred.rehearsal.http_options
  - footballpred.rehearsal.attributes
attributes:
  check_mode:
    support: full
    details:
      - Read-only probes (see O(probes[].read_only)) run as usual; the others are not sent and are
        reported as skipped.
  diff_mode:
    support: none
seealso:
  - module: ansible.builtin.uri
  - module: footballpred.rehearsal.mlflow_check
"""

EXAMPLES = r"""
- name: The API contract holds on staging
  footballpred.rehearsal.api_check:
    base_url: http://127.0.0.1:8001
    probes:
      - name: health
        path: /health
        json_equals: {status: healthy}
        max_latency_ms: 2000
      - name: docs
        path: /docs
      - name: metrics
        path: /metrics
        body_contains: [http_requests_total]
      - name: models_info
        path: /api/v1/models/info
        json_exists: ["models[*].name", "models[*].version", "models[*].stage"]
      - name: matches
        method: POST
        path: /api/v1/data/matches
        body: {limit: 5, offset: 0}
        json_exists: [matches]
      - name: predict
        method: POST
        path: /api/v1/predictions/match
        read_only: true
        body:
          home_team: Arsenal
          away_team: Chelsea
          match_date: "2024-12-25T15:00:00Z"
          league: Premier League
        json_exists: [prediction, confidence]
        max_latency_ms: 1000
      - name: invalid_team
        method: POST
        path: /api/v1/predictions/match
        body: {home_team: Invalid Team Name 123, away_team: Chelsea,
               match_date: "2024-12-25T15:00:00Z", league: Premier League}
        status: [400, 404, 422]
        json_exists: [error]
  register: api
  failed_when: not api.ok

- name: Per-probe latency for the report
  ansible.builtin.debug:
    msg: "{{ api.probes | items2dict(key_name='name', value_name='latency_ms') }}"
"""

RETURN = r"""
ok:
  description: V(true) when every probe passed.
  returned: always
  type: bool
  sample: false
is_available:
  description: Whether at least one probe got an HTTP response.
  returned: always
  type: bool
  sample: true
error:
  description: Name and reason of the first failed probe, in O(probes) order; empty when all passed.
  returned: always
  type: str
  sample: "health: json_equals status: expected 'healthy', got 'unhealthy'"
summary:
  description: Probe counts; skipped probes (check mode) are neither passed nor failed.
  returned: always
  type: dict
  sample: {passed: 6, failed: 1, skipped: 0, total: 7}
latency_ms:
  description: Wall time of the whole batch of probes, in milliseconds.
  returned: always
  type: float
  sample: 412.9
probes:
  description: One entry per probe, in the order of O(probes).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the probe.
      type: str
    method:
      description: HTTP method used.
      type: str
    url:
      description: URL requested.
      type: str
    status:
      description: HTTP status code, null when no response came back.
      type: int
    latency_ms:
      description: Time until the whole response body was read (or the request failed).
      type: float
    ok:
      description: Whether every condition of the probe held (V(true) for a skipped probe).
      type: bool
    skipped:
      description: Whether the probe was not sent because it is not read-only and check mode is on.
      type: bool
    reason:
      description: The first failed condition, or why the probe was skipped; empty when the probe passed.
      type: str
    failures:
      description: Every failed condition.
      type: list
      elements: str
    content_type:
      description: C(Content-Type) of the response.
      type: str
    json:
      description: The parsed JSON body, with long lists, objects and strings cut; null when the body is not JSON.
      type: raw
    json_truncated:
      description: Whether RV(probes[].json) was cut.
      type: bool
    body_excerpt:
      description: The first 200 characters of a body that is not JSON.
      type: str
  sample:
    - name: health
      method: GET
      url: http://127.0.0.1:8001/health
      status: 200
      latency_ms: 12.8
      ok: true
      reason: ""
      failures: []
      content_type: application/json
      json: {status: healthy, version: 1.1.0, git_commit: 3f2a9c1}
      json_truncated: false
      body_excerpt: ""
      skipped: false
"""

import json

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.footballpred.rehearsal.plugins.module_utils.common import (
    elapsed_ms,
    monotonic,
)
from ansible_collections.footballpred.rehearsal.plugins.module_utils.http_client import (
    http_argument_spec,
    http_request,
    parse_json,
    tls_context,
    validate_http_params,
)
from ansible_collections.footballpred.rehearsal.plugins.module_utils.json_path import (
    PathError,
    parse_path,
    path_equals,
    path_exists,
    truncate,
)

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
BODY_EXCERPT = 200

PROBE_SPEC = dict(
    name=dict(type="str", required=True),
    path=dict(type="str", required=True),
    method=dict(type="str", default="GET", choices=METHODS),
    body=dict(type="raw"),
    body_format=dict(type="str", default="json", choices=["json", "raw"]),
    headers=dict(type="dict", default={}),
    status=dict(type="list", elements="int", default=[200]),
    json_exists=dict(type="list", elements="str", default=[]),
    json_equals=dict(type="dict", default={}),
    body_contains=dict(type="list", elements="str", default=[]),
    body_not_contains=dict(type="list", elements="str", default=[]),
    max_latency_ms=dict(type="float"),
    timeout=dict(type="float"),
    read_only=dict(type="bool"),
)
READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")


def short(value) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def request_of(probe: dict, params: dict, base_url: str) -> dict:
    """Everything needed to send ``probe``: URL, method, headers and encoded body."""
    headers = dict(params["headers"], **probe["headers"])
    body = None
    if probe["body"] is not None:
        if probe["body_format"] == "json":
            body = json.dumps(probe["body"]).encode("utf-8")
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = "application/json"
        else:
            body = probe["body"].encode("utf-8")
    return dict(url=base_url + probe["path"], method=probe["method"], headers=headers, body=body,
                timeout=probe["timeout"] or params["timeout"])


def evaluate(probe: dict, response: dict, document, json_error: str) -> list:
    """The conditions of ``probe`` that ``response`` fails, as short sentences."""
    if not response["reached"]:
        return [response["error"] or "no response"]
    failures = []
    if response["status"] not in probe["status"]:
        failures.append("status %s not in %s" % (response["status"], probe["status"]))
    budget = probe["max_latency_ms"]
    if budget is not None and response["latency_ms"] > budget:
        failures.append("latency %.0f ms over budget %.0f ms" % (response["latency_ms"], budget))
    text = response["body"].decode("utf-8", "replace")
    failures.extend("body lacks %s" % short(needle) for needle in probe["body_contains"] if needle not in text)
    failures.extend("body contains %s" % short(needle) for needle in probe["body_not_contains"] if needle in text)
    if (probe["json_exists"] or probe["json_equals"]) and json_error:
        failures.append("body is not JSON (%s)" % json_error)
        return failures
    failures.extend("json path %s missing" % path for path in probe["json_exists"]
                    if not path_exists(document, path))
    for path, expected in probe["json_equals"].items():
        ok, found = path_equals(document, path, expected)
        if not ok:
            failures.append("json_equals %s: expected %s, got %s" % (path, short(expected), short(found)))
    return failures


def run_probe(probe: dict, params: dict, base_url: str, context) -> dict:
    request = request_of(probe, params, base_url)
    response = http_request(request["url"], method=request["method"], body=request["body"],
                            headers=request["headers"], timeout=request["timeout"], context=context)
    content_type = response["headers"].get("content-type", "")
    document, json_error = parse_json(response["body"]) if response["body"] else (None, "empty body")
    failures = evaluate(probe, response, document, json_error)
    shown, cut = truncate(document, params["max_json_items"], params["max_string_length"]) \
        if not json_error else (None, False)
    return dict(
        name=probe["name"],
        method=request["method"],
        url=request["url"],
        status=response["status"],
        latency_ms=response["latency_ms"],
        ok=not failures,
        reason=failures[0] if failures else "",
        failures=failures,
        content_type=content_type,
        json=shown,
        json_truncated=cut,
        body_excerpt=response["body"][:BODY_EXCERPT].decode("utf-8", "replace") if json_error else "",
        skipped=False,
        reached=response["reached"],
    )


def is_read_only(probe: dict) -> bool:
    return probe["read_only"] if probe["read_only"] is not None else probe["method"] in READ_ONLY_METHODS


def skipped_probe(probe: dict, base_url: str) -> dict:
    return dict(name=probe["name"], method=probe["method"], url=base_url + probe["path"], status=None,
                latency_ms=None, ok=True, reason="check mode: %s is not read-only" % probe["method"], failures=[],
                content_type="", json=None, json_truncated=False, body_excerpt="", skipped=True, reached=False)


def validate_probes(module) -> None:
    names = set()
    for probe in module.params["probes"]:
        name = probe["name"]
        if not name:
            module.fail_json(msg="every probe needs a non-empty name")
        if name in names:
            module.fail_json(msg="probe names must be unique; %r is used twice" % name)
        names.add(name)
        if not probe["path"].startswith("/"):
            module.fail_json(msg="probe %s: path must start with /, got %r" % (name, probe["path"]))
        if not probe["status"] or any(not 100 <= code <= 599 for code in probe["status"]):
            module.fail_json(msg="probe %s: status must list HTTP codes between 100 and 599" % name)
        if probe["body_format"] == "raw" and probe["body"] is not None and not isinstance(probe["body"], str):
            module.fail_json(msg="probe %s: a raw body must be a string" % name)
        for option in ("max_latency_ms", "timeout"):
            if probe[option] is not None and probe[option] <= 0:
                module.fail_json(msg="probe %s: %s must be greater than 0" % (name, option))
        for path in list(probe["json_exists"]) + list(probe["json_equals"]):
            try:
                parse_path(path)
            except PathError as exc:
                module.fail_json(msg="probe %s: %s" % (name, exc))


def validate_params(module) -> str:
    base_url = validate_http_params(module, "base_url")
    for option in ("concurrency", "max_json_items", "max_string_length"):
        if module.params[option] < 1:
            module.fail_json(msg="%s must be at least 1" % option)
    if not module.params["probes"]:
        module.fail_json(msg="probes must not be empty")
    validate_probes(module)
    return base_url


def main():
    argument_spec = http_argument_spec()
    argument_spec.update(
        base_url=dict(type="str", default="http://127.0.0.1:8001"),
        headers=dict(type="dict", default={}),
        concurrency=dict(type="int", default=8),
        max_json_items=dict(type="int", default=20),
        max_string_length=dict(type="int", default=500),
        probes=dict(type="list", elements="dict", required=True, options=PROBE_SPEC),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    base_url = validate_params(module)
    params = module.params
    probes = params["probes"]

    context = tls_context(params["validate_certs"], params["ca_path"])

    def run(probe: dict) -> dict:
        if module.check_mode and not is_read_only(probe):
            return skipped_probe(probe, base_url)
        return run_probe(probe, params, base_url, context)

    started = monotonic()
    with ThreadPoolExecutor(max_workers=min(params["concurrency"], len(probes))) as pool:
        results = list(pool.map(run, probes))
    latency = elapsed_ms(started)

    reached = [result.pop("reached") for result in results]
    failed = [result for result in results if not result["ok"]]
    skipped = sum(1 for result in results if result["skipped"])
    module.exit_json(
        changed=False,
        ok=not failed,
        is_available=any(reached),
        error="%s: %s" % (failed[0]["name"], failed[0]["reason"]) if failed else "",
        summary=dict(passed=len(results) - len(failed) - skipped, failed=len(failed), skipped=skipped,
                     total=len(results)),
        latency_ms=latency,
        probes=results,
    )


if __name__ == "__main__":
    main()
