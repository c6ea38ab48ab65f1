"""Reads the platform's YAML file into a validated :class:`PlatformConfig`.

Every problem is reported as one line naming the file, the field path, the bad value and the
line it is on, for example::

    platform.yaml: accounts.dev.account_id: '12345' is not a 12-digit AWS account ID (line 9)
"""

from __future__ import annotations

import copy
import difflib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from shared.config.models import STAGE_PRESETS, PlatformConfig, StageName, StageSettings
from shared.errors import ConfigError

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
LOCAL_RUN_ROOT = Path(os.environ.get("GDP_LOCAL_RUN_ROOT") or REPOSITORY_ROOT / ".local-run")
"""Where ``gdp run`` keeps its runs (and ``gdp query`` finds them); ``GDP_LOCAL_RUN_ROOT``
moves it (each test worker has its own)."""
DEFAULT_CONFIG_FILE = REPOSITORY_ROOT / "platform.yaml"
CONFIG_ENV_VAR = "GDP_CONFIG"
CONFIG_CONTEXT_KEY = "config"
ACCOUNT_ENV_VAR = "CDK_DEFAULT_ACCOUNT"
REGION_ENV_VAR = "CDK_DEFAULT_REGION"
STAGE_DEFAULTS_KEY = "stage_defaults"
APPLICATIONS_KEY = "applications"

Path_ = tuple[str | int, ...]


def resolve_config_path(
    explicit: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """The config file to use: the explicit path (CLI argument or CDK context ``config``),
    else ``$GDP_CONFIG``, else ``platform.yaml`` at the repository root."""
    environ = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if environ.get(CONFIG_ENV_VAR):
        return Path(environ[CONFIG_ENV_VAR])
    return DEFAULT_CONFIG_FILE


def load_config(
    path: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> PlatformConfig:
    """Load, merge and validate the config file.

    Stage blocks are built from the stage's presets, then ``stage_defaults``, then the stage's
    own block. An account or region left out falls back to ``CDK_DEFAULT_ACCOUNT`` /
    ``CDK_DEFAULT_REGION``.

    Raises:
        ConfigError: with every problem found, one line each.
    """
    environ = os.environ if environ is None else environ
    config_path = resolve_config_path(path, environ=environ)
    label = _display_name(config_path)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{label}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError([f"{label}: cannot be read: {error}"]) from None

    document, lines = _parse_yaml(text, label)
    defaults = document.get(STAGE_DEFAULTS_KEY)
    if defaults is not None and not isinstance(defaults, dict):
        line = lines.get((STAGE_DEFAULTS_KEY,))
        where = f" (line {line})" if line else ""
        raise ConfigError(
            [f"{label}: {STAGE_DEFAULTS_KEY}: {defaults!r} is not a mapping of settings{where}"]
        )
    applications = document.get(APPLICATIONS_KEY)
    if applications is not None and not isinstance(applications, dict):
        line = lines.get((APPLICATIONS_KEY,))
        where = f" (line {line})" if line else ""
        raise ConfigError(
            [f"{label}: {APPLICATIONS_KEY}: {applications!r} is not a mapping of settings{where}"]
        )
    raw = _resolve(document, environ)
    problems: list[str] = []
    sections = {stage: _pop_applications(raw, stage) for stage in StageName}
    try:
        config = PlatformConfig.model_validate(raw)
    except ValidationError as error:
        problems += _describe_errors(error.errors(include_url=False), document, lines, label)
    validated = _validate_applications(sections, document, lines, label, problems)
    if problems:
        raise ConfigError(problems)
    stages = {
        stage.value: config.stages.get(stage).model_copy(update={"applications": validated[stage]})
        for stage in StageName
    }
    return config.model_copy(update={"stages": config.stages.model_copy(update=stages)})


def _pop_applications(raw: dict[str, Any], stage: StageName) -> Any:
    """Take a stage's merged application sections out of the platform's settings."""
    block = (raw.get("stages") or {}).get(stage.value)
    return block.pop(APPLICATIONS_KEY, {}) if isinstance(block, dict) else {}


def _validate_applications(
    sections: Mapping[StageName, Any],
    document: dict[str, Any],
    lines: dict[Path_, int],
    label: str,
    problems: list[str],
) -> dict[StageName, dict[str, Any]]:
    """Each registered application's section of each stage, validated by its own model."""
    models = _application_models()
    validated: dict[StageName, dict[str, Any]] = {}
    for stage, section in sections.items():
        where: Path_ = ("stages", stage.value, APPLICATIONS_KEY)
        validated[stage] = {}
        if not isinstance(section, dict):
            problems += _describe_errors(
                [{"type": "dict_type", "loc": where, "input": section, "msg": ""}],
                document,
                lines,
                label,
            )
            continue
        for name in section:
            if name not in models:
                item = {"type": "extra_forbidden", "loc": (*where, name), "input": section[name]}
                found = _describe_errors([{**item, "msg": ""}], document, lines, label)
                problems += [p for p in found if p not in problems]
        for name, model in models.items():
            try:
                validated[stage][name] = model.model_validate(
                    section.get(name) or {}, context={"stage": stage.value}
                )
            except ValidationError as error:
                items = [
                    {**item, "loc": (*where, name, *item["loc"])}
                    for item in error.errors(include_url=False)
                ]
                found = _describe_errors(items, document, lines, label)
                problems += [p for p in found if p not in problems]
    return validated


def _application_models() -> dict[str, type[BaseModel]]:
    """The settings model of every registered application, by name."""
    from shared.registry import registered  # noqa: PLC0415 (the registry imports the config)

    return {app.name: app.settings_model for app in registered()}


def _display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _parse_yaml(text: str, label: str) -> tuple[dict[str, Any], dict[Path_, int]]:
    """The document and the line of every key in it; duplicate keys are errors."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError([f"{label}: not valid YAML: {problem}{where}"]) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError([f"{label}: the file must hold a mapping of settings at the top level"])
    lines: dict[Path_, int] = {}
    duplicates: list[str] = []
    if root is not None:
        _index_lines(root, (), lines, duplicates, label)
    if duplicates:
        raise ConfigError(duplicates)
    return document, lines


def _index_lines(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], duplicates: list[str], label: str
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*path, key)
            if key in seen:
                line = key_node.start_mark.line + 1
                duplicates.append(f"{label}: {_dotted(child)}: duplicate key (line {line})")
            seen.add(key)
            lines[child] = key_node.start_mark.line + 1
            _index_lines(value_node, child, lines, duplicates, label)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            _index_lines(item, child, lines, duplicates, label)


def _resolve(document: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Apply stage presets and ``stage_defaults``, and the account fallbacks."""
    raw = copy.deepcopy(document)
    defaults = raw.pop(STAGE_DEFAULTS_KEY, None) or {}
    applications = raw.pop(APPLICATIONS_KEY, None) or {}
    stages = raw.get("stages") or {}
    if isinstance(stages, dict):
        merged = dict(stages)
        for stage in StageName:
            own = stages.get(stage.value) or {}
            if isinstance(own, dict):
                base = _deep_merge(STAGE_PRESETS[stage.value], defaults)
                base = _deep_merge(base, {APPLICATIONS_KEY: applications})
                merged[stage.value] = _deep_merge(base, own)
        raw["stages"] = merged

    accounts = raw.setdefault("accounts", {})
    if isinstance(accounts, dict):
        for name in ("pipeline", *(stage.value for stage in StageName)):
            account = accounts.get(name)
            if account is None:
                account = accounts[name] = {}
            if isinstance(account, dict):
                if account.get("account_id") is None and environ.get(ACCOUNT_ENV_VAR):
                    account["account_id"] = environ[ACCOUNT_ENV_VAR]
                if account.get("region") is None and environ.get(REGION_ENV_VAR):
                    account["region"] = environ[REGION_ENV_VAR]
    return raw


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe_errors(
    items: Any, document: dict[str, Any], lines: dict[Path_, int], label: str
) -> list[str]:
    problems: list[str] = []
    for item in items:
        location = _source_location(tuple(item["loc"]), document)
        where = f" (line {lines[location]})" if location in lines else ""
        field = _dotted(location) or "(top level)"
        problem = f"{label}: {field}: {_explain(item, location)}{where}"
        if problem not in problems:
            problems.append(problem)
    return problems


def _source_location(location: Path_, document: dict[str, Any]) -> Path_:
    """Point an error in a merged stage block at the block the value came from."""
    if len(location) > 2 and location[0] == "stages":
        rest = location[2:]
        if _has_path(document.get("stages"), location[1:]):
            return location
        if rest[:1] == (APPLICATIONS_KEY,) and _has_path(document.get(APPLICATIONS_KEY), rest[1:]):
            return rest
        if _has_path(document.get(STAGE_DEFAULTS_KEY), rest):
            return (STAGE_DEFAULTS_KEY, *rest)
    return location


def _has_path(node: Any, path: Path_) -> bool:
    for key in path:
        if (isinstance(node, dict) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and key < len(node)
        ):
            node = node[key]  # type: ignore[index]
        else:
            return False
    return True


# How each pydantic error type reads after the offending value.
TYPE_MESSAGES = {
    "int_parsing": "is not a whole number",
    "int_type": "is not a whole number",
    "int_from_float": "is not a whole number",
    "float_parsing": "is not a number",
    "float_type": "is not a number",
    "bool_parsing": "is not true or false",
    "bool_type": "is not true or false",
    "string_type": "is not text",
    "model_type": "is not a mapping of settings",
    "model_attributes_type": "is not a mapping of settings",
    "dict_type": "is not a mapping of settings",
}


def _explain(item: Mapping[str, Any], location: Path_) -> str:
    kind = item["type"]
    value = item.get("input")
    context = item.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key(location)
    if kind == "missing":
        return _missing(location)
    if kind == "value_error":
        reason = str(context.get("error", item["msg"]))
        return reason if isinstance(value, dict) else f"{value!r} {reason}"
    if kind == "literal_error":
        message = f"is not one of {context.get('expected')}"
    else:
        message = TYPE_MESSAGES.get(kind) or str(item["msg"]).removeprefix("Input ")
    return f"{value!r} {message}"


def _missing(location: Path_) -> str:
    if location[:1] == ("accounts",) and location[-1] in ("account_id", "region"):
        variable = ACCOUNT_ENV_VAR if location[-1] == "account_id" else REGION_ENV_VAR
        return f"is required (set it here or export {variable})"
    return "is required"


def _unknown_key(location: Path_) -> str:
    allowed = _allowed_keys(location[:-1])
    key = str(location[-1])
    hint = ""
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        hint = f"; did you mean '{close[0]}'?"
    listing = f" (allowed: {', '.join(allowed)})" if allowed else ""
    return f"unknown key{hint}{listing}"


def _allowed_keys(location: Path_) -> list[str]:
    """Field names of the settings object at ``location``."""
    model: Any = PlatformConfig
    if location[:1] == (APPLICATIONS_KEY,):
        location = ("stages", "dev", *location)
    if location[:3] in [("stages", s.value, APPLICATIONS_KEY) for s in StageName]:
        models = _application_models()
        if len(location) == 3:
            return list(models)
        model = models.get(str(location[3]))
        location = location[4:]
    elif location[:1] == (STAGE_DEFAULTS_KEY,):
        model = StageSettings
        location = location[1:]
    for key in location:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(key))
        if field is None:
            return []
        model = field.annotation
        if get_origin(model) is not None:
            model = next((arg for arg in get_args(model) if isinstance(arg, type)), None)
    if isinstance(model, type) and issubclass(model, BaseModel):
        names = list(model.model_fields)
        if model is PlatformConfig:
            names += [STAGE_DEFAULTS_KEY, APPLICATIONS_KEY]
        return names
    return []


def _dotted(path: Path_) -> str:
    return ".".join(str(part) for part in path)
