# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX configuration as code: the survey passes AWX's own survey validation and asks
for role variables only, with values their argument specs accept; configure_awx.yml uses
documented awx.awx options and takes credential material from variables, never a
placeholder, and refuses before it touches AWX when that material is missing or bad.

AWX's rules are in awx_rules.py (read from AWX's source; see its docstring)."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from support.playbook import playbook_argv, run_playbook

sys.path.insert(0, str(Path(__file__).resolve().parent))

import awx_rules  # noqa: E402  pylint: disable=wrong-import-position

REPO_ROOT = Path(__file__).resolve().parents[3]
SURVEY = json.loads((REPO_ROOT / "awx" / "survey.json").read_text(encoding="utf-8"))
CONFIGURE_AWX = REPO_ROOT / "awx" / "configure_awx.yml"
SPEC_KEYS = ("type", "elements", "choices", "options")
# How AWX passes each survey answer type in extra_vars.
SURVEY_TO_SPEC_TYPES = {"text": {"str"}, "textarea": {"str"}, "password": {"str"},
                        "integer": {"int", "float"}, "float": {"float"},
                        "multiplechoice": {"str", "bool"}, "multiselect": {"list"}}


class _UnsafeLoader(yaml.SafeLoader):
    """Reads playbooks that use Ansible's !unsafe tag."""


_UnsafeLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def role_options() -> dict:
    options = {}
    for spec_file in sorted((REPO_ROOT / "roles").glob("*/meta/argument_specs.yml")):
        main = yaml.safe_load(spec_file.read_text(encoding="utf-8"))["argument_specs"]["main"]
        for name, option in (main.get("options") or {}).items():
            options[name] = (spec_file.parts[-3], option)
    return options


def answer(question: dict):
    """The survey default as AWX puts it into the job's extra_vars."""
    return awx_rules.launch_extra_vars({"spec": [question]})[question["variable"]]


def _choices(question: dict) -> list:
    return awx_rules.choice_list(question)


@pytest.mark.parametrize("question", SURVEY["spec"], ids=lambda question: question["variable"])
def test_survey_variable_is_a_role_variable_its_spec_accepts(question):
    options = role_options()
    variable = question["variable"]
    assert variable in options, f"{variable} is not an option of any role's argument spec"
    role, option = options[variable]
    assert option.get("type", "str") in SURVEY_TO_SPEC_TYPES[question["type"]], (role, option.get("type"))
    spec = {variable: {key: option[key] for key in SPEC_KEYS if key in option}}
    for value in [answer(question)] + ([[choice] for choice in _choices(question)]
                                       if question["type"] == "multiselect" else
                                       _choices(question) if question["type"] == "multiplechoice" else []):
        result = ArgumentSpecValidator(spec).validate({variable: value})
        assert not result.error_messages, f"{role}: {variable}={value!r}: {result.error_messages}"


# --- AWX's survey rules, one assertion each, on awx/survey.json --------------------------

def test_survey_spec_passes_awx_validation():
    assert awx_rules.spec_errors(SURVEY) == []


def test_survey_has_a_name_a_description_and_questions():
    assert isinstance(SURVEY["name"], str) and SURVEY["name"]
    assert isinstance(SURVEY["description"], str)
    assert isinstance(SURVEY["spec"], list) and SURVEY["spec"]


@pytest.mark.parametrize("question", SURVEY["spec"], ids=lambda question: question["variable"])
class TestQuestionFollowsAwxRules:
    """Each of AWX's checks of a survey question, as its own assertion."""

    def test_required_fields_and_their_types(self, question):
        for field, kind in awx_rules.QUESTION_FIELDS.items():
            assert isinstance(question.get(field), kind), f"{field} must be a {kind.__name__}"

    def test_type_is_an_awx_question_type(self, question):
        assert question["type"] in awx_rules.SURVEY_TYPES

    def test_variable_is_an_ansible_identifier(self, question):
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", question["variable"])

    def test_min_and_max_are_integers(self, question):
        # AWX: "The min limit in survey question N expected to be integer." (the old
        # question 8, report_target_api_response_s, had "min": 0.001)
        for limit in ("min", "max"):
            if question.get(limit) is not None:
                assert type(question[limit]) is int, f"{limit} = {question[limit]!r}"  # pylint: disable=unidiomatic-typecheck

    def test_default_has_the_question_type(self, question):
        assert "default" in question, "every question has a default (the launch form is pre-filled)"
        assert isinstance(question["default"], awx_rules.SURVEY_TYPES[question["type"]])
        assert not isinstance(question["default"], bool)

    def test_default_is_within_the_limits(self, question):
        # AWX silently leaves out a default that fails its own question at launch.
        if question["type"] in ("integer", "float"):
            assert question["min"] <= question["default"] <= question["max"]
        if question["type"] in ("text", "textarea", "password"):
            assert question.get("min", 0) <= len(question["default"]) <= question.get("max", 1024)
        assert awx_rules.answer_errors(question, {question["variable"]: awx_rules.ui_answer(question)}) == []

    def test_choices_are_listed_and_defaults_are_choices(self, question):
        if question["type"] not in ("multiplechoice", "multiselect"):
            return
        assert isinstance(question["choices"], str), "choices: newline-separated text, as AWX stores them"
        choices = _choices(question)
        assert choices and len(set(choices)) == len(choices)
        defaults = [line for line in question["default"].splitlines() if line.strip()]
        if question["type"] == "multiplechoice":
            assert len(defaults) == 1
        assert set(defaults) <= set(choices)

    def test_no_encrypted_placeholder_default(self, question):
        assert not str(question.get("default", "")).startswith("$encrypted$")


def test_survey_defaults_all_reach_the_job():
    """AWX puts a default into extra_vars only when it passes its question's launch checks."""
    extra_vars = awx_rules.launch_extra_vars(SURVEY, answers={})
    dropped = {q["variable"] for q in SURVEY["spec"]} - set(extra_vars)
    # A multiselect default is stored as text and is not a list: AWX drops it unless the
    # launch answers it (the launch form does, and the question is required).
    assert dropped == {q["variable"] for q in SURVEY["spec"] if q["type"] == "multiselect"}
    assert all(q["required"] for q in SURVEY["spec"] if q["variable"] in dropped)


OLD_QUESTION_8 = {"question_name": "Report target: mean API response time (s)", "variable": "report_target_api_response_s",
                  "type": "float", "required": True, "default": 1.0, "min": 0.001, "max": 60}


def _mutated(change) -> dict:
    survey = copy.deepcopy(SURVEY)
    change(survey["spec"])
    return survey


def _question(spec: list, variable: str) -> dict:
    return next(question for question in spec if question["variable"] == variable)


# Every rule bites: the survey with one defect each is refused, with the rule named.
DEFECTS = {
    "float min 0.001 (the old question 8)": (
        lambda spec: spec.__setitem__(8, dict(OLD_QUESTION_8)), "min 0.001 must be an integer"),
    "integer max as text": (
        lambda spec: _question(spec, "health_latency_budget_ms").update(max="60000"), "must be an integer"),
    "required as text": (lambda spec: spec[0].update(required="true"), "'required' missing or not a bool"),
    "no variable": (lambda spec: spec[0].pop("variable"), "'variable' missing"),
    "variable asked twice": (lambda spec: spec[1].update(variable=spec[0]["variable"]), "asked twice"),
    "variable not an identifier": (lambda spec: spec[0].update(variable="deploy-app-tag"), "not a valid Ansible variable"),
    "unknown type": (lambda spec: spec[2].update(type="number"), "is not one of"),
    "float default as text": (lambda spec: spec[2].update(default="1000"), "is not of the float type"),
    "multiselect without choices": (lambda spec: _question(spec, "rollback_drills").pop("choices"), "must list its choices"),
    "multiple choice with two defaults": (
        lambda spec: _question(spec, "report_fail_on_verdict").update(default="true\nfalse"), "one default at most"),
    "default not a choice": (
        lambda spec: _question(spec, "rollback_drills").update(default="container\nimage"), "'image' is not a choice"),
    "encrypted default outside a password": (lambda spec: spec[0].update(default="$encrypted$"), "reserved"),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_awx_rules_refuse_a_defective_survey(defect):
    change, message = DEFECTS[defect]
    errors = awx_rules.spec_errors(_mutated(change))
    assert any(message in error for error in errors), errors


def test_awx_rules_refuse_out_of_bounds_answers():
    question = _question(SURVEY["spec"], "load_test_thresholds_p95_ms")
    assert awx_rules.answer_errors(question, {question["variable"]: 0.5}) != []
    assert awx_rules.answer_errors(question, {question["variable"]: "1000"}) != []
    assert awx_rules.answer_errors(question, {}) == ["'load_test_thresholds_p95_ms' value missing"]
    drills = _question(SURVEY["spec"], "rollback_drills")
    assert awx_rules.answer_errors(drills, {"rollback_drills": "container"}) != []
    assert awx_rules.answer_errors(drills, {"rollback_drills": ["container", "image"]}) != []
    assert awx_rules.answer_errors(drills, {"rollback_drills": ["database"]}) == []


def test_survey_covers_the_rehearsal_inputs():
    variables = {question["variable"] for question in SURVEY["spec"]}
    assert len(variables) == len(SURVEY["spec"]), "a variable is asked twice"
    assert {"deploy_app_tag", "rollback_drills", "load_test_thresholds_p95_ms",
            "load_test_thresholds_failure_rate_pct", "report_fail_on_verdict"} <= variables


def _awx_tasks() -> list:
    plays = yaml.load((REPO_ROOT / "awx" / "configure_awx.yml").read_text(encoding="utf-8"), Loader=_UnsafeLoader)
    return [(module, task[module]) for play in plays for task in play["tasks"]
            for module in task if module.startswith("awx.awx.")]


def test_awx_tasks_use_documented_options_and_choices():
    tasks = _awx_tasks()
    modules = sorted({module for module, _args in tasks})
    ansible_doc = Path(sys.executable).with_name("ansible-doc")
    if not ansible_doc.exists():  # ansible-test units: the CLI is on PATH
        ansible_doc = Path(shutil.which("ansible-doc") or ansible_doc)
    docs = json.loads(subprocess.run([str(ansible_doc), "-j", *modules], capture_output=True, text=True,
                                     check=True, timeout=300).stdout)
    for module, args in tasks:
        documented = docs[module]["doc"]["options"]
        for key, value in args.items():
            assert key in documented, f"{module}: undocumented option {key}"
            choices = documented[key].get("choices")
            if choices and isinstance(value, str) and "{{" not in value:
                assert value in choices, f"{module}: {key}={value!r} not in {choices}"


def test_job_template_uses_the_survey_and_the_entry_playbook():
    templates = {args["name"]: args for module, args in _awx_tasks() if module == "awx.awx.job_template"}
    rehearsal = templates["Staging deployment rehearsal"]
    assert rehearsal["survey_enabled"] is True
    assert "survey.json" in (REPO_ROOT / "awx" / "configure_awx.yml").read_text(encoding="utf-8")
    assert (REPO_ROOT / rehearsal["playbook"]).is_file()
    assert (REPO_ROOT / templates["Staging rehearsal report"]["playbook"]).is_file()
    assert rehearsal["allow_simultaneous"] is False


# --- credential material in configure_awx.yml ---------------------------------------------

PLACEHOLDER = re.compile(r"change[-_ ]?me|placeholder|todo|xxx+|<[a-z _-]+>", re.IGNORECASE)
SECRET_INPUTS = {"ssh_key_data", "ssh_key_unlock", "password", "become_password", "vault_password",
                 "db_password", "redis_password", "webhook_url"}


def _configure_play() -> dict:
    return yaml.load(CONFIGURE_AWX.read_text(encoding="utf-8"), Loader=_UnsafeLoader)[0]


def _credentials() -> list:
    task = next(task for task in _configure_play()["tasks"] if "awx.awx.credential" in task)
    return task["loop"]


def test_configure_awx_carries_no_placeholder_credential():
    play = _configure_play()
    for credential in _credentials():
        for key, value in credential["inputs"].items():
            if key in SECRET_INPUTS:
                # Only a reference to one of the play's credential variables, no fallback.
                assert re.fullmatch(r"\{\{ (awx_[a-z_]+)( \| trim)? \}\}", value), f"{credential['name']}: {key} = {value!r}"
                assert re.fullmatch(r"\{\{ (awx_[a-z_]+)( \| trim)? \}\}", value).group(1) in play["vars"]
    text = CONFIGURE_AWX.read_text(encoding="utf-8")
    assert not re.search(r"CHANGE-?ME", text, re.IGNORECASE)
    assert "default('" not in text.split("tasks:", 1)[1].split("awx.awx.credential:", 1)[1].split("- name:", 1)[0]
    for name, value in play["vars"].items():
        if name.startswith("awx_staging_") or name == "awx_report_webhook_url":
            assert not PLACEHOLDER.search(value.replace("ansible.builtin.", "")), f"{name}: {value!r}"
            assert "lookup(" in value, f"{name} must come from the environment or -e, not be written here"


def test_credential_checks_run_before_any_awx_task():
    tasks = _configure_play()["tasks"]
    first_awx = next(index for index, task in enumerate(tasks) if any(key.startswith("awx.awx.") for key in task))
    checks = [task for task in tasks[:first_awx] if "ansible.builtin.assert" in task]
    asserted = " ".join(json.dumps(task) for task in checks)
    for variable in ("awx_staging_ssh_key_data", "awx_staging_vault_password", "awx_staging_db_password",
                     "awx_staging_redis_password"):
        assert variable in asserted, f"{variable} is not checked before the first awx.awx task"


def test_credential_type_injects_what_the_staging_inventory_and_roles_read():
    play = _configure_play()
    task = next(task for task in play["tasks"] if "awx.awx.credential_type" in task)
    injected = set(task["awx.awx.credential_type"]["injectors"]["extra_vars"])
    staging = (REPO_ROOT / "inventories" / "staging" / "group_vars" / "staging" / "main.yml").read_text(encoding="utf-8")
    for name in injected - set(role_options()):
        assert "{{ " + name + " }}" in staging, f"{name} is injected but nothing reads it"
    assert {"vault_rehearsal_db_password", "vault_rehearsal_redis_password"} <= injected
    assert "report_webhook_url" in role_options()


def _key_pattern() -> re.Pattern:
    return re.compile(_configure_play()["vars"]["__awx_private_key_pem"])


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict:
    directory = tmp_path_factory.mktemp("keys")
    made = {}
    for kind, argv in (("ed25519", ["-t", "ed25519"]), ("rsa-pem", ["-t", "rsa", "-b", "2048", "-m", "PEM"]),
                       ("ecdsa-encrypted", ["-t", "ecdsa", "-N", "secret-phrase"])):
        path = directory / kind
        subprocess.run(["ssh-keygen", "-q", "-f", str(path), "-C", "test", *argv]
                       + ([] if "-N" in argv else ["-N", ""]), check=True, timeout=60)
        made[kind] = path
    return made


@pytest.mark.parametrize("kind", ["ed25519", "rsa-pem", "ecdsa-encrypted"])
def test_the_play_and_awx_accept_a_real_private_key(keys, kind):
    data = keys[kind].read_text()
    assert awx_rules.private_key_errors(data) == []
    assert _key_pattern().search(data)


@pytest.mark.parametrize("value", ["CHANGE-ME", "", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                                   "-----BEGIN DSS PRIVATE KEY-----\nAAAA\n-----END DSS PRIVATE KEY-----\n"])
def test_the_play_and_awx_refuse_what_is_no_private_key(value):
    assert awx_rules.private_key_errors(value) != []
    assert not _key_pattern().search(value)


def test_the_play_refuses_a_public_key(keys):
    public = Path(str(keys["ed25519"]) + ".pub").read_text()
    assert awx_rules.private_key_errors(public) != []
    assert not _key_pattern().search(public)


def _configure(env: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    """configure_awx.yml against a controller address where nothing listens."""
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("AWX_", "CONTROLLER_", "TOWER_"))}
    clean.update({"CONTROLLER_HOST": "http://127.0.0.1:9", "CONTROLLER_OAUTH_TOKEN": "none",
                  "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCAL_TEMP": str(tmp_path), **env})
    argv = playbook_argv(CONFIGURE_AWX, extra_vars={"awx_ee_image": "registry.invalid/ee:1"})
    return run_playbook(argv, base_env=clean, timeout=300)


def test_configure_awx_refuses_without_credential_material(tmp_path):
    done = _configure({}, tmp_path)
    assert done.returncode != 0
    for what in ("SSH private key", "vault password", "database password", "Redis password"):
        assert what in done.stdout, done.stdout[-2000:]
    assert "Nothing was changed in AWX" in done.stdout
    assert "127.0.0.1:9" not in done.stdout, "an awx.awx task ran"


def test_configure_awx_refuses_a_placeholder_key(tmp_path):
    done = _configure({"AWX_STAGING_SSH_KEY": "CHANGE-ME", "AWX_STAGING_VAULT_PASSWORD": "v",
                       "AWX_STAGING_DB_PASSWORD": "d", "AWX_STAGING_REDIS_PASSWORD": "r"}, tmp_path)
    assert done.returncode != 0
    assert "not a PEM private key" in done.stdout, done.stdout[-2000:]
    assert "127.0.0.1:9" not in done.stdout


def test_configure_awx_with_material_goes_on_to_awx(keys, tmp_path):
    vault = tmp_path / "vault-pass"
    vault.write_text("vault-secret\n")
    done = _configure({"AWX_STAGING_SSH_KEY_FILE": str(keys["ed25519"]), "AWX_STAGING_VAULT_PASSWORD_FILE": str(vault),
                       "AWX_STAGING_DB_PASSWORD": "d", "AWX_STAGING_REDIS_PASSWORD": "r"}, tmp_path)
    # Past every check, the first awx.awx task tries the (absent) controller.
    assert done.returncode != 0
    assert "127.0.0.1:9/api/v2/execution_environments" in done.stdout, done.stdout[-2000:]
    assert "vault-secret" not in done.stdout and "PRIVATE KEY" not in done.stdout
