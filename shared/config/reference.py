"""docs/configuration.md, generated from the config model: every field with its type, default,
meaning, the spec line it comes from, and its value in the shipped platform.yaml.

``gdp docs`` writes the page; a test fails when the page and the model differ.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from shared.config.loader import APPLICATIONS_KEY, STAGE_DEFAULTS_KEY
from shared.config.models import STAGE_PRESETS, PlatformConfig, StageName, StageSettings
from shared.registry import registered

SPEC_MARKER = "Spec:"
STAGE_LOCATION = f"{STAGE_DEFAULTS_KEY} / stages.dev / stages.prod"


@dataclass(frozen=True)
class Section:
    """A block of the file and the model that reads it."""

    location: str
    model: type[BaseModel]
    example: Any


@dataclass(frozen=True)
class FieldRow:
    """One field of a section, as the page shows it."""

    name: str
    type: str
    default: str
    meaning: str
    spec: str
    example: str


def sections(config: PlatformConfig) -> list[Section]:
    """The blocks of platform.yaml in file order, each with its values in ``config``."""
    dev = config.stages.dev
    return [
        Section("project", type(config.project), config.project),
        *(
            Section(
                f"accounts.{name}", type(config.accounts.pipeline), getattr(config.accounts, name)
            )
            for name in ("pipeline", "dev", "prod")
        ),
        Section("source", type(config.source), config.source),
        Section(
            "source.repositories", type(config.source.repositories), config.source.repositories
        ),
        Section("pipeline", type(config.pipeline), config.pipeline),
        Section(STAGE_LOCATION, StageSettings, dev),
        *(
            Section(f"{STAGE_LOCATION}: {name}", type(getattr(dev, name)), getattr(dev, name))
            for name, info in StageSettings.model_fields.items()
            if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
        ),
        *(
            Section(
                f"{APPLICATIONS_KEY}.{app.name} / stages.<stage>.{APPLICATIONS_KEY}.{app.name}",
                app.settings_model,
                config.application_settings(StageName.DEV, app.name),
            )
            for app in registered()
        ),
    ]


def rows(section: Section) -> Iterator[FieldRow]:
    """The section's own fields (nested blocks have sections of their own)."""
    schema = section.model.model_json_schema()
    for name, info in section.model.model_fields.items():
        annotation = info.annotation
        if name == APPLICATIONS_KEY or (
            isinstance(annotation, type) and issubclass(annotation, BaseModel)
        ):
            continue
        meaning, _, spec = " ".join((info.description or "").split()).partition(SPEC_MARKER)
        yield FieldRow(
            name=name,
            type=_type(schema["properties"][name], schema.get("$defs", {})),
            default=_default(info.default),
            meaning=meaning.strip(),
            spec=spec.strip() or "-",
            example=_value(getattr(section.example, name)),
        )


def _type(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        return _type(defs[prop["$ref"].rsplit("/", 1)[1]], defs)
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    kind = prop.get("type", "object")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}), defs)}"
    bounds = []
    for key, sign in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in prop:
            bounds.append(f"{sign} {prop[key]:g}")
    if "minLength" in prop:
        bounds.append(f"at least {prop['minLength']} character")
    return " ".join([kind, ", ".join(bounds)]).strip()


def _default(default: Any) -> str:
    if default is PydanticUndefined:
        return "required"
    return _value(default)


def _value(value: Any) -> str:
    if isinstance(value, tuple | list):
        return json.dumps(list(value))
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return f"`{value}`" if isinstance(value, str) else str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(config: PlatformConfig) -> str:
    """The whole page."""
    presets = "; ".join(
        f"{stage}: " + ", ".join(f"`{key}: {str(value).lower()}`" for key, value in preset.items())
        for stage, preset in STAGE_PRESETS.items()
    )
    out = [
        "# Configuration reference",
        "",
        "<!-- Generated from shared/config/models.py by `gdp docs` (`make docs`); a test fails",
        "     when this page and the model differ: edit the model, then regenerate. -->",
        "",
        "Everything a deployment needs is in one file, `platform.yaml` (or the file named by",
        "`GDP_CONFIG` or `-c config=PATH`). `gdp config validate` checks it: unknown keys are",
        "errors, and every problem names the file, the field, the value and the line.",
        "",
        "Stage settings are resolved in this order: the stage's presets, then",
        f"`{STAGE_DEFAULTS_KEY}`, then the stage's own block under `stages`. Each registered",
        f"application's section (`{APPLICATIONS_KEY}.<name>`, validated by the application's",
        f"own model) is overridden the same way by `stages.<stage>.{APPLICATIONS_KEY}.<name>`.",
        "The presets:",
        f"{presets}. An `account_id` or `region` left out is taken from",
        "`CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION`.",
        "",
        '"Spec" names the line of the specification (`002`) a field comes from; "example" is',
        "its value in the shipped `platform.yaml` (dev, for stage settings).",
    ]
    for section in sections(config):
        fields = list(rows(section))
        if not fields:
            continue
        out += [
            "",
            f"## {section.location}",
            "",
            _cell(" ".join((section.model.__doc__ or "").split())),
            "",
            "| field | type | default | what it is | spec | example |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        out += [
            "| "
            + " | ".join(
                _cell(cell)
                for cell in (f"`{f.name}`", f.type, f.default, f.meaning, f.spec, f.example)
            )
            + " |"
            for f in fields
        ]
    return "\n".join(out) + "\n"
