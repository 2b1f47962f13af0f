"""The one YAML reader of the project (rules, scenarios, territory.yaml): duplicate keys refused, booleans only as
true/false, every error naming the file and the line."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import InputError, Problem, validation_problems
from .files import read_text
from .i18n import _

M = TypeVar("M", bound=BaseModel)


class _StrictLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; every file of this project must refuse them."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            shown = key.isoformat() if isinstance(key, dt.date) else repr(key)
            raise yaml.constructor.ConstructorError(
                None, None, f"key {shown} appears twice (line {key_node.start_mark.line + 1}); "
                            "each key is given once", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# YAML 1.1 reads on/off/yes/no as booleans, so a scenario change's `on:` key would become True. Booleans are
# true/false only here (as in YAML 1.2).
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_yaml(text: str, name: str) -> Any:
    """Parse YAML text; raise InputError naming `name` and the line for any syntax error or repeated key."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a control character...)
        line = text[:exc.position].count("\n") + 1
        raise InputError([Problem(name, line, None, _("invalid character {character!r} in a YAML file: remove it, or "
                                                      "save the file again as plain text").format(
            character=exc.character))]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([Problem(name, mark.line + 1 if mark else 1, None, _("invalid YAML: {problem}").format(
            problem=problem))]) from None


def load_model_file(path: Path, model: type[M], missing: str, not_mapping: str) -> M:
    """A YAML file read as `model` (a scenario, a sweep...): InputError naming the file, with `missing` when there
    is no such file, `not_mapping` when its top is not a mapping, else every entry pydantic refuses."""
    if not path.is_file():
        raise InputError([Problem(str(path), None, None, missing)])
    data = load_yaml(read_text(path), path.name)
    if not isinstance(data, dict):
        raise InputError([Problem(path.name, None, None, not_mapping)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, path.name)) from None
