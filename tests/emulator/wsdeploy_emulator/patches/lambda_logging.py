"""Lambda's ``LoggingConfig`` (log format, log levels, log group), which moto
5.2 drops.

CreateFunction and UpdateFunctionConfiguration accept it, and every
configuration moto returns carries it (CreateFunction, GetFunction,
GetFunctionConfiguration, ListFunctions, the update calls):

- ``LogFormat`` defaults to ``Text`` and ``LogGroup`` to
  ``/aws/lambda/<function>``;
- with ``JSON``, ``ApplicationLogLevel`` and ``SystemLogLevel`` default to
  ``INFO``; with ``Text`` they are absent, and naming one (even without a
  ``LogFormat``, which then means Text) is an
  ``InvalidParameterValueException``;
- unknown enum values and malformed group names are ``ValidationException``
  in AWS's "1 validation error detected" form;
- an update merges the fields it names into the current configuration
  (LocalStack's reading; AWS's reference does not say): naming
  ``LogFormat: JSON`` sets the levels it does not name to INFO, and a
  configuration that ends up Text has no levels. A refused update changes
  nothing.
"""

from __future__ import annotations

import re
from typing import Any

from moto.awslambda import models
from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError

FORMATS = ("JSON", "Text")
APPLICATION_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LEVELS = ("DEBUG", "INFO", "WARN")
LEVELS = ("ApplicationLogLevel", "SystemLogLevel")
GROUP_PATTERN = r"[\.\-_/#A-Za-z0-9]+"
TEXT_WITH_LEVEL = (
    'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from '
    'your request or change the LogFormat to "JSON" and try again.'
)


class ValidationError(LambdaClientError):
    def __init__(self, value: Any, member: str, constraint: str) -> None:
        super().__init__(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at 'loggingConfig.{member}' "
            f"failed to satisfy constraint: {constraint}",
        )


def _check_enum(given: dict[str, Any], key: str, allowed: tuple[str, ...]) -> None:
    value = given.get(key)
    if value is not None and value not in allowed:
        member = key[0].lower() + key[1:]
        raise ValidationError(
            value, member, f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        )


def _check_group(group: Any) -> None:
    if group is None:
        return
    if not isinstance(group, str) or not 1 <= len(group) <= 512:
        bound = "greater than or equal to 1" if not group else "less than or equal to 512"
        raise ValidationError(group, "logGroup", f"Member must have length {bound}")
    if not re.fullmatch(GROUP_PATTERN, group):
        raise ValidationError(
            group, "logGroup", f"Member must satisfy regular expression pattern: {GROUP_PATTERN}"
        )


def validate(given: dict[str, Any]) -> None:
    _check_enum(given, "LogFormat", FORMATS)
    _check_enum(given, "ApplicationLogLevel", APPLICATION_LEVELS)
    _check_enum(given, "SystemLogLevel", SYSTEM_LEVELS)
    _check_group(given.get("LogGroup"))


def resolve(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The configuration after applying ``given`` (a request's LoggingConfig)
    to ``current``."""
    validate(given)
    merged = {**current, **{k: v for k, v in given.items() if v is not None}}
    if merged["LogFormat"] == "Text":
        if any(given.get(level) for level in LEVELS):
            raise InvalidParameterValueException(TEXT_WITH_LEVEL)
        return {k: v for k, v in merged.items() if k not in LEVELS}
    if given.get("LogFormat") == "JSON":
        merged.update({level: given.get(level) or "INFO" for level in LEVELS})
    return {level: "INFO" for level in LEVELS} | merged


def default(function_name: str) -> dict[str, Any]:
    return {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{function_name}"}


def logging_config(function: models.LambdaFunction) -> dict[str, Any]:
    """A function's LoggingConfig as Lambda reports it."""
    config = getattr(function, "wsdeploy_logging", None)
    return dict(config) if config else default(function.function_name)


_original_init = models.LambdaFunction.__init__


def _init(
    self: models.LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any
) -> None:
    # Resolved first: a refused LoggingConfig creates nothing.
    config = resolve(default(str(spec.get("FunctionName"))), spec.get("LoggingConfig") or {})
    _original_init(self, account_id, spec, *args, **kwargs)
    self.wsdeploy_logging = config


def _updating(original: Any) -> Any:
    def update(self: models.LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        given = config_updates.get("LoggingConfig")
        new = resolve(logging_config(self), given) if given else None
        original(self, config_updates)
        if new is not None:
            self.wsdeploy_logging = new
        return self.get_configuration()

    return update


def _reporting(original: Any) -> Any:
    def get_configuration(self: models.LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        config = original(self, on_create)
        config["LoggingConfig"] = logging_config(self)
        return config

    return get_configuration


def install() -> None:
    """Installed after ``awslambda``, whose wrappers these wrap."""
    models.LambdaFunction.__init__ = _init
    models.LambdaFunction.update_configuration = _updating(
        models.LambdaFunction.update_configuration
    )
    models.LambdaFunction.get_configuration = _reporting(models.LambdaFunction.get_configuration)
