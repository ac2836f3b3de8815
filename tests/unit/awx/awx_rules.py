# Copyright: (c) 2026, Football Prediction Platform SRE
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX's own rules for a job template's survey and a Machine credential's SSH key, as
this project's tests apply them.

Written from a reading of AWX (ansible/awx, devel): the survey spec endpoint's
validation (``JobTemplateSurveySpec._validate_spec_data`` in awx/api/views), the launch
time checks and the way survey defaults become extra variables
(``SurveyJobTemplateMixin._survey_element_validation`` and ``_update_unified_job_kwargs``
in awx/main/models/mixins.py), ``SURVEY_TYPE_MAPPING`` (awx/main/constants.py) and
``validate_ssh_private_key`` / ``validate_pem`` (awx/main/validators.py). Unlike AWX,
which answers the first problem with HTTP 400, every function here returns all problems.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re

# Question type -> the Python types AWX accepts for its default (SURVEY_TYPE_MAPPING).
SURVEY_TYPES = {"text": (str,), "textarea": (str,), "password": (str,), "multiplechoice": (str,),
                "multiselect": (str,), "integer": (int,), "float": (float, int)}
QUESTION_FIELDS = {"type": str, "question_name": str, "variable": str, "required": bool}
SPEC_FIELDS = {"name": str, "description": str, "spec": list}
# "BEGIN <X> PRIVATE KEY" -> ssh-keygen type; anything else before PRIVATE KEY is refused.
PRIVATE_KEY_TYPES = {"RSA": "rsa", "DSA": "dsa", "EC": "ecdsa", "OPENSSH": "ed25519", "": "rsa1"}
_PEM_BLOCK = re.compile(r"^(?P<dashes>-{4,}) *BEGIN (?P<type>[A-Z ]+?) *(?P=dashes)\s*(?P<body>.+?)\s*"
                        r"(?P=dashes) *END (?P=type) *(?P=dashes)(?P<rest>.*?)$", re.DOTALL)
_PEM_HEADER = re.compile(r"^(.+?):\s*?(.+?)(\\??)$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def choice_list(question: dict) -> list:
    """A question's choices as AWX reads them: a list, or one choice per non-blank line."""
    choices = question.get("choices", [])
    if isinstance(choices, str):
        return [line for line in choices.splitlines() if line.strip()]
    return list(choices)


def spec_errors(survey: dict) -> list[str]:
    """What POST /api/v2/job_templates/N/survey_spec/ (and awx.awx.job_template's
    survey_spec) refuses, plus a variable name Ansible cannot use."""
    errors = []
    for field, kind in SPEC_FIELDS.items():
        if field not in survey:
            errors.append(f"field {field!r} is missing from the survey spec")
        elif not isinstance(survey[field], kind):
            errors.append(f"field {field!r} must be a {kind.__name__}")
    if isinstance(survey.get("spec"), list) and not survey["spec"]:
        errors.append("'spec' has no questions")
    if errors:
        return errors
    seen = set()
    for index, question in enumerate(survey["spec"]):
        where = f"question {index}"
        if not isinstance(question, dict):
            errors.append(f"{where} is not an object")
            continue
        where = f"question {index} ({question.get('variable', '?')})"
        bad_fields = [field for field, kind in QUESTION_FIELDS.items()
                      if not isinstance(question.get(field), kind)]
        for field in bad_fields:
            errors.append(f"{where}: {field!r} missing or not a {QUESTION_FIELDS[field].__name__}")
        if bad_fields:
            continue
        variable, qtype = question["variable"], question["type"]
        if variable in seen:
            errors.append(f"{where}: variable {variable!r} is asked twice")
        seen.add(variable)
        if not _IDENTIFIER.match(variable):
            errors.append(f"{where}: variable {variable!r} is not a valid Ansible variable name")
        if qtype not in SURVEY_TYPES:
            errors.append(f"{where}: type {qtype!r} is not one of {', '.join(SURVEY_TYPES)}")
            continue
        default = question.get("default", "")
        # bool is an int in Python but JSON true/false is no number for AWX's UI.
        if default != "" and (not isinstance(default, SURVEY_TYPES[qtype]) or isinstance(default, bool)):
            errors.append(f"{where}: default {default!r} is not of the {qtype} type")
        for limit in ("min", "max"):
            value = question.get(limit)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                errors.append(f"{where}: {limit} {value!r} must be an integer")
        if qtype in ("multiplechoice", "multiselect"):
            errors += _choice_errors(where, question)
        if isinstance(default, str) and default.startswith("$encrypted$") and qtype != "password":
            errors.append(f"{where}: $encrypted$ is reserved for password defaults")
    return errors


def _choice_errors(where: str, question: dict) -> list[str]:
    if "choices" not in question:
        return [f"{where}: a {question['type']} question must list its choices"]
    if not isinstance(question["choices"], (str, list)):
        return [f"{where}: choices must be newline-separated text or a list"]
    choices = choice_list(question)
    errors = [] if choices else [f"{where}: no choices"]
    if len(set(choices)) != len(choices):
        errors.append(f"{where}: a choice is listed twice")
    default = question.get("default", "")
    defaults = [line for line in default.splitlines() if line.strip()] if isinstance(default, str) else list(default)
    if question["type"] == "multiplechoice" and len(defaults) > 1:
        errors.append(f"{where}: a multiple choice question has one default at most")
    errors += [f"{where}: default {item!r} is not a choice" for item in defaults if item not in choices]
    return errors


def answer_errors(question: dict, data: dict, validate_required: bool = True) -> list[str]:
    """What AWX refuses at launch for one question, given the launch's extra variables."""
    variable, qtype = question["variable"], question["type"]
    if variable not in data:
        return [f"{variable!r} value missing"] if question["required"] and validate_required else []
    value = question_value = data[variable]
    limits = {limit: question.get(limit) for limit in ("min", "max") if question.get(limit) not in ("", None)}
    if qtype in ("text", "textarea", "password"):
        if not isinstance(value, str):
            return [f"{variable!r}: {value!r} is not a string"]
        question_value = len(value)
    elif qtype == "integer":
        if type(value) is not int:  # pylint: disable=unidiomatic-typecheck  # AWX: type() != int
            return [f"{variable!r}: {value!r} is not an integer"]
    elif qtype == "float":
        if type(value) not in (float, int):
            return [f"{variable!r}: {value!r} is not a number"]
    elif qtype == "multiselect":
        if not isinstance(value, list):
            return [f"{variable!r}: a multiselect answer is a list, not {value!r}"]
        return [f"{variable!r}: {item!r} is not one of {choice_list(question)}"
                for item in value if item not in choice_list(question)]
    elif qtype == "multiplechoice":
        return [] if value in choice_list(question) else [f"{variable!r}: {value!r} is not one of {choice_list(question)}"]
    errors = []
    if "min" in limits and question_value < (float(limits["min"]) if qtype == "float" else int(limits["min"])):
        errors.append(f"{variable!r}: {value!r} is below the minimum {limits['min']}")
    if "max" in limits and question_value > (float(limits["max"]) if qtype == "float" else int(limits["max"])):
        errors.append(f"{variable!r}: {value!r} is above the maximum {limits['max']}")
    return errors


def ui_answer(question: dict):
    """The answer the launch form submits when the user keeps a question's default."""
    default = question.get("default")
    if question["type"] == "multiselect" and isinstance(default, str):
        return [line for line in default.splitlines() if line.strip()]
    return default


def launch_extra_vars(survey: dict, answers: dict | None = None, template_extra_vars: dict | None = None) -> dict:
    """The job's extra variables the way AWX assembles them: the template's extra_vars,
    then every survey default that passes its own question's checks (AWX drops the
    others silently), then the launch answers (the form's answers when none are given)."""
    answers = {q["variable"]: ui_answer(q) for q in survey["spec"] if "default" in q} if answers is None else answers
    extra_vars = copy.deepcopy(template_extra_vars or {})
    for question in survey["spec"]:
        default = question.get("default")
        if default is not None and not answer_errors(question, {question["variable"]: default}):
            extra_vars[question["variable"]] = default
    extra_vars.update(answers)
    return extra_vars


def private_key_errors(data: str) -> list[str]:
    """Why AWX's validate_ssh_private_key would refuse ``data`` ([] when it accepts it):
    PEM blocks only, each a private key (RSA, DSA, EC, OPENSSH or untyped, optionally
    ENCRYPTED) or a certificate, with base64 content, and at least one private key."""
    rest, keys, errors = data.lstrip(), 0, []
    while rest:
        block = _PEM_BLOCK.match(rest)
        if not block:
            return errors + [f"not a PEM block: {rest[:20]!r}..."]
        rest = block.group("rest").lstrip()
        kind = block.group("type")
        if kind.endswith("PRIVATE KEY"):
            keys += 1
            key_type = kind.replace("ENCRYPTED PRIVATE KEY", "").replace("PRIVATE KEY", "").strip()
            if key_type not in PRIVATE_KEY_TYPES:
                errors.append(f"unsupported private key type {key_type!r}")
        elif kind != "CERTIFICATE":
            errors.append(f"unsupported PEM object {kind!r}")
        encoded = []
        continued = False
        for line in (line.strip() for line in block.group("body").splitlines()):
            if not line:
                continue
            if continued or _PEM_HEADER.match(line):
                continued = line.endswith("\\")
                continue
            encoded.append(line)
        try:
            if not base64.b64decode("".join(encoded)):
                errors.append(f"{kind}: empty base64 content")
        except (binascii.Error, ValueError):
            errors.append(f"{kind}: invalid base64 content")
    if keys < 1:
        errors.append("at least one private key is required")
    return errors
