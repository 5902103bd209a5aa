"""API Gateway v2 completed for WebSocket deployers.

Added operations (moto 5.2 answers them with a 500): GetAuthorizers,
GetRouteResponses, UpdateRouteResponse, UpdateStage, DeleteRouteSettings,
DeleteAccessLogSettings,
CreateDeployment, GetDeployments, GetDeployment, UpdateDeployment,
DeleteDeployment, UpdateApiMapping, UpdateDomainName.

Request paths are URL-decoded before moto's handlers split them (wildcard
domain names arrive as ``%2A.example.com``).

Corrected shapes: ``wss://`` ApiEndpoint for WEBSOCKET APIs; a stage's
DeploymentId; ApiGatewayDomainName, HostedZoneId, DomainNameStatus,
EndpointType and SecurityPolicy in DomainNameConfigurations; domain-name and
stage tags kept in the tagging service so GetTags sees them.

AWS rules moto does not check, with AWS's own messages where known:
duplicate route keys; authorization only on ``$connect``; an authorizer or
integration that a route references cannot be deleted; WebSocket authorizers
are REQUEST authorizers with ``route.request.*`` identity sources; WebSocket
route responses use the ``$default`` key; an API with mappings cannot be
deleted; a deployment needs a route and cannot be deleted while a stage uses
it; a mapping key is unique per domain and a stage must exist to be mapped; a
custom domain needs an ISSUED ACM certificate of its region.

Member names and types follow botocore's ``apigatewayv2`` service model.
"""

from __future__ import annotations

import json
import re
import string
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from moto.apigateway import urls as apigateway_urls
from moto.apigatewayv2 import models, urls
from moto.apigatewayv2.exceptions import APIGatewayV2Error, BadRequestException
from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.core.utils import iso_8601_datetime_without_milliseconds
from moto.moto_api._internal import mock_random as random

# Hosted zone of API Gateway's regional endpoints, per region (AWS General
# Reference, "Amazon API Gateway endpoints and quotas").
REGIONAL_HOSTED_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
}
IDENTITY_SOURCE = re.compile(
    r"^(route\.request\.(header|querystring)\.[^\s.]+|stageVariables\.\w+|context\.\w+)$"
)
# Largest integration timeout, which is also the default, by protocol (API
# Gateway developer guide, "Amazon API Gateway quotas": 50 ms to 29 s for
# WebSocket APIs, to 30 s for HTTP APIs).
TIMEOUT_LIMITS = {"WEBSOCKET": 29000, "HTTP": 30000}
# The `$context` variables a WebSocket access-log format may use: the table of
# the API Gateway developer guide, "Configure logging for WebSocket APIs in API
# Gateway" (websocket-api-logging.md), the access-logging part of "Data model,
# authorizer, mapping template and access logging variables for WebSocket
# APIs", plus the three names that table gives as equivalents
# (`integrationErrorMessage`, `integrationStatus`, `awsEndpointRequestId`).
# `$context.authorizer.<key>` (a key of the authorizer's context map) is
# accepted for any key.
WEBSOCKET_LOG_VARIABLES = frozenset(
    {
        "apiId",
        "authenticate.error",
        "authenticate.latency",
        "authenticate.status",
        "authorize.error",
        "authorize.latency",
        "authorize.status",
        "authorizer.error",
        "authorizer.integrationLatency",
        "authorizer.integrationStatus",
        "authorizer.latency",
        "authorizer.principalId",
        "authorizer.requestId",
        "authorizer.status",
        "awsEndpointRequestId",
        "connectedAt",
        "connectionId",
        "domainName",
        "error.message",
        "error.messageString",
        "error.responseType",
        "error.validationErrorString",
        "eventType",
        "extendedRequestId",
        "identity.accountId",
        "identity.apiKey",
        "identity.apiKeyId",
        "identity.caller",
        "identity.cognitoAuthenticationProvider",
        "identity.sourceIp",
        "identity.user",
        "identity.userAgent",
        "identity.userArn",
        "integration.error",
        "integration.integrationStatus",
        "integration.latency",
        "integration.requestId",
        "integration.status",
        "integrationErrorMessage",
        "integrationLatency",
        "integrationStatus",
        "messageId",
        "requestId",
        "requestTime",
        "requestTimeEpoch",
        "routeKey",
        "stage",
        "status",
        "waf.error",
        "waf.latency",
        "waf.status",
    }
)
CONTEXT_VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")


class NotFound(APIGatewayV2Error):
    code = 404

    def __init__(self, message: str) -> None:
        super().__init__("NotFoundException", message)


class Conflict(APIGatewayV2Error):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ConflictException", message)


def _random_id(length: int) -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(random.choice(alphabet) for _ in range(length))


def _now() -> str:
    return iso_8601_datetime_without_milliseconds(datetime.now())


def _body(response: ApiGatewayV2Response) -> dict[str, Any]:
    try:
        parsed = json.loads(response.body or "{}")
    except ValueError as error:
        raise BadRequestException("Invalid request body") from error
    if not isinstance(parsed, dict):
        raise BadRequestException("Invalid request body")
    return parsed


def _segments(response: ApiGatewayV2Response) -> list[str]:
    return [unquote(part) for part in response.path.split("/")]


# -- deployments --------------------------------------------------------------


class Deployment:
    def __init__(self, description: str | None) -> None:
        self.id = _random_id(6)
        self.description = description
        self.created = _now()

    def to_json(self) -> dict[str, Any]:
        result = {
            "autoDeployed": False,
            "createdDate": self.created,
            "deploymentId": self.id,
            "deploymentStatus": "DEPLOYED",
        }
        if self.description is not None:
            result["description"] = self.description
        return result


def _deployments(api: models.Api) -> dict[str, Deployment]:
    if not hasattr(api, "wsdeploy_deployments"):
        api.wsdeploy_deployments = {}
    return api.wsdeploy_deployments


def _get_deployment(api: models.Api, deployment_id: str) -> Deployment:
    deployment = _deployments(api).get(deployment_id)
    if deployment is None:
        raise NotFound(f"Invalid Deployment identifier specified {deployment_id}")
    return deployment


def create_deployment(self: ApiGatewayV2Response) -> Any:
    api_id = _segments(self)[-2]
    params = _body(self)
    api = self.apigatewayv2_backend.get_api(api_id)
    if not api.routes:
        if api.protocol_type == "WEBSOCKET":
            raise BadRequestException("At least one route is required before deploying the Api.")
        raise BadRequestException("Unable to deploy API because no routes exist in this API")
    stage_name = params.get("stageName")
    stage = api.get_stage(stage_name) if stage_name else None
    deployment = Deployment(params.get("description"))
    _deployments(api)[deployment.id] = deployment
    if stage is not None:
        stage.wsdeploy_deployment_id = deployment.id
        stage.updated = datetime.now()
    return 201, {}, json.dumps(deployment.to_json())


def get_deployments(self: ApiGatewayV2Response) -> Any:
    api = self.apigatewayv2_backend.get_api(_segments(self)[-2])
    items = [d.to_json() for d in _deployments(api).values()]
    return 200, {}, json.dumps({"items": items})


def get_deployment(self: ApiGatewayV2Response) -> Any:
    parts = _segments(self)
    api = self.apigatewayv2_backend.get_api(parts[-3])
    return 200, {}, json.dumps(_get_deployment(api, parts[-1]).to_json())


def update_deployment(self: ApiGatewayV2Response) -> Any:
    parts = _segments(self)
    api = self.apigatewayv2_backend.get_api(parts[-3])
    deployment = _get_deployment(api, parts[-1])
    params = _body(self)
    if "description" in params:
        deployment.description = params["description"]
    return 200, {}, json.dumps(deployment.to_json())


def delete_deployment(self: ApiGatewayV2Response) -> Any:
    parts = _segments(self)
    api = self.apigatewayv2_backend.get_api(parts[-3])
    deployment = _get_deployment(api, parts[-1])
    if any(
        getattr(s, "wsdeploy_deployment_id", None) == deployment.id for s in api.stages.values()
    ):
        raise BadRequestException(
            "Active stages pointing to this deployment must be moved or deleted"
        )
    del _deployments(api)[deployment.id]
    return 204, {}, ""


# -- stages ---------------------------------------------------------------------

_original_stage_init = models.Stage.__init__
_original_stage_to_json = models.Stage.to_json
_original_create_stage = models.Api.create_stage


def _stage_init(self: models.Stage, api: models.Api, config: dict[str, Any]) -> None:
    _original_stage_init(self, api, config)
    self.wsdeploy_deployment_id = config.get("deploymentId")
    self.wsdeploy_arn = f"{api.arn}/stages/{self.name}"
    self.wsdeploy_backend = api.backend
    api.backend.tag_resource(self.wsdeploy_arn, self.tags)


def _stage_to_json(self: models.Stage) -> dict[str, Any]:
    result = _original_stage_to_json(self)
    if getattr(self, "wsdeploy_deployment_id", None):
        result["deploymentId"] = self.wsdeploy_deployment_id
    backend = getattr(self, "wsdeploy_backend", None)
    if backend is not None:
        result["tags"] = backend.get_tags(self.wsdeploy_arn)
    return result


def _check_log_format(api: models.Api, settings: dict[str, Any] | None) -> None:
    """AWS refuses a WebSocket access-log format with a `$context` variable
    that WebSocket APIs do not have (serverless#7016 quotes the message)."""
    if api.protocol_type != "WEBSOCKET" or not settings or not settings.get("format"):
        return
    unsupported: list[str] = []
    for match in CONTEXT_VARIABLE.finditer(str(settings["format"])):
        name = match.group(1)
        if name in WEBSOCKET_LOG_VARIABLES or re.fullmatch(r"authorizer\.\w+", name):
            continue
        if f"$context.{name}" not in unsupported:
            unsupported.append(f"$context.{name}")
    if unsupported:
        raise BadRequestException(
            f"The following context variables are not supported: [{', '.join(unsupported)}]"
        )


def _create_stage(self: models.Api, config: dict[str, Any]) -> models.Stage:
    _check_log_format(self, config.get("accessLogSettings"))
    name = config.get("stageName")
    if name in self.stages:
        raise Conflict(f"Stage {name} already exists")
    if config.get("deploymentId"):
        _get_deployment(self, config["deploymentId"])
    return _original_create_stage(self, config)


def update_stage(self: ApiGatewayV2Response) -> Any:
    parts = _segments(self)
    api = self.apigatewayv2_backend.get_api(parts[-3])
    stage = api.get_stage(parts[-1])
    params = _body(self)
    _check_log_format(api, params.get("accessLogSettings"))
    if "deploymentId" in params and params["deploymentId"]:
        _get_deployment(api, params["deploymentId"])
        stage.wsdeploy_deployment_id = params["deploymentId"]
    if "accessLogSettings" in params:
        settings = params["accessLogSettings"] or {}
        # An empty object turns access logging off.
        stage.access_log_settings = settings if settings.get("destinationArn") else None
    if "defaultRouteSettings" in params:
        merged = dict(stage.default_route_settings or {})
        merged.update(params["defaultRouteSettings"] or {})
        stage.default_route_settings = merged
    if "routeSettings" in params:
        # Per route key, the given settings replace the stored ones; other
        # route keys keep theirs (DeleteRouteSettings removes one).
        stage.route_settings = {**(stage.route_settings or {}), **(params["routeSettings"] or {})}
    if "stageVariables" in params:
        # A variable set to "" is removed, as on AWS.
        variables = dict(stage.stage_variables or {})
        for key, value in (params["stageVariables"] or {}).items():
            if value == "":
                variables.pop(key, None)
            else:
                variables[key] = value
        stage.stage_variables = variables
    for member, attribute in (
        ("autoDeploy", "auto_deploy"),
        ("clientCertificateId", "client_certificate_id"),
        ("description", "description"),
    ):
        if member in params:
            setattr(stage, attribute, params[member])
    stage.updated = datetime.now()
    return 200, {}, json.dumps(stage.to_json())


def delete_route_settings(self: ApiGatewayV2Response) -> Any:
    parts = _segments(self)
    api = self.apigatewayv2_backend.get_api(parts[-5])
    stage = api.get_stage(parts[-3])
    route_key = parts[-1]
    if route_key not in (stage.route_settings or {}):
        raise NotFound(f"Unable to find Route by key {route_key} within the provided RouteSettings")
    del stage.route_settings[route_key]
    return 204, {}, ""


def delete_access_log_settings(self: ApiGatewayV2Response) -> Any:
    # DELETE /v2/apis/{apiId}/stages/{stageName}/accesslogsettings: the
    # documented way to turn access logging off.
    parts = _segments(self)
    api = self.apigatewayv2_backend.get_api(parts[-4])
    stage = api.get_stage(parts[-2])
    stage.access_log_settings = None
    return 204, {}, ""


# -- APIs -------------------------------------------------------------------------

_original_api_init = models.Api.__init__
_original_delete_api = models.ApiGatewayV2Backend.delete_api


def _api_init(self: models.Api, *args: Any, **kwargs: Any) -> None:
    _original_api_init(self, *args, **kwargs)
    if self.protocol_type == "WEBSOCKET":
        self.api_endpoint = self.api_endpoint.replace("https://", "wss://", 1)


def _delete_api(self: models.ApiGatewayV2Backend, api_id: str) -> None:
    if any(mapping.api_id == api_id for mapping in self.api_mappings.values()):
        raise BadRequestException(
            f"Deleting API {api_id} failed. Please remove all API mappings for the API "
            "from your custom domain names."
        )
    _original_delete_api(self, api_id)


# -- routes, route responses, authorizers, integrations ---------------------------

_original_create_route = models.Api.create_route
_original_update_route = models.Api.update_route
_original_delete_authorizer = models.Api.delete_authorizer
_original_delete_integration = models.Api.delete_integration
_original_create_authorizer = models.Api.create_authorizer
_original_create_route_response = models.Api.create_route_response
_original_create_integration = models.Api.create_integration
_original_update_integration = models.Api.update_integration


def _check_route(
    api: models.Api,
    route_key: str,
    auth_type: str | None,
    authorizer_id: str | None,
    target: str | None,
    route_id: str | None,
) -> None:
    for other in api.routes.values():
        if other.route_key == route_key and other.route_id != route_id:
            raise Conflict(f"Route with key {route_key} already exists for this API")
    if api.protocol_type == "WEBSOCKET" and auth_type not in (None, "NONE"):
        if route_key != "$connect":
            raise BadRequestException(
                "Currently, authorization is restricted to the $connect route only"
            )
    if auth_type == "CUSTOM":
        if not authorizer_id:
            raise BadRequestException("AuthorizerId is required for CUSTOM authorization")
        api.get_authorizer(authorizer_id)
    if target and target.startswith("integrations/"):
        api.get_integration(target.split("/", 1)[1])


def _create_route(self: models.Api, *args: Any, **kwargs: Any) -> models.Route:
    _check_route(
        self,
        kwargs["route_key"],
        kwargs.get("authorization_type"),
        kwargs.get("authorizer_id"),
        kwargs.get("target"),
        None,
    )
    return _original_create_route(self, *args, **kwargs)


def _update_route(self: models.Api, route_id: str, **kwargs: Any) -> models.Route:
    route = self.get_route(route_id)
    auth_type = kwargs.get("authorization_type") or route.authorization_type
    authorizer_id = kwargs.get("authorizer_id") or route.authorizer_id
    _check_route(
        self,
        kwargs.get("route_key") or route.route_key,
        auth_type,
        authorizer_id,
        kwargs.get("target") or route.target,
        route_id,
    )
    updated = _original_update_route(self, route_id=route_id, **kwargs)
    if kwargs.get("authorization_type") == "NONE" and not kwargs.get("authorizer_id"):
        updated.authorizer_id = None
    return updated


def _create_authorizer(self: models.Api, **kwargs: Any) -> models.Authorizer:
    if self.protocol_type == "WEBSOCKET":
        if kwargs.get("authorizer_type") != "REQUEST":
            raise BadRequestException("WebSocket APIs support only REQUEST authorizers")
        if not kwargs.get("authorizer_uri"):
            raise BadRequestException("AuthorizerUri is required for REQUEST authorizers")
        for source in kwargs.get("identity_source") or []:
            if not IDENTITY_SOURCE.match(source):
                raise BadRequestException(
                    f"Invalid identity source '{source}': use route.request.header.<name>, "
                    "route.request.querystring.<name>, stageVariables.<name> or context.<name>"
                )
    return _original_create_authorizer(self, **kwargs)


def _delete_authorizer(self: models.Api, authorizer_id: str) -> None:
    authorizer = self.get_authorizer(authorizer_id)
    for route in self.routes.values():
        if route.authorizer_id == authorizer_id:
            raise Conflict(
                f"Cannot delete authorizer '{authorizer.name}', is referenced in route: "
                f"{route.route_key}"
            )
    _original_delete_authorizer(self, authorizer_id)


def _delete_integration(self: models.Api, integration_id: str) -> None:
    users = [
        r.route_id for r in self.routes.values() if r.target == f"integrations/{integration_id}"
    ]
    if users:
        raise Conflict(
            "Cannot delete Integration because it is referenced by the following Routes "
            f"with Ids: [{', '.join(users)}]"
        )
    _original_delete_integration(self, integration_id)


def _check_timeout(api: models.Api, timeout: Any) -> None:
    if timeout is None:
        return
    top = TIMEOUT_LIMITS.get(api.protocol_type, TIMEOUT_LIMITS["HTTP"])
    if not 50 <= int(timeout) <= top:
        # REST APIs' message for the same rule; API Gateway v2's is not documented.
        raise BadRequestException(f"Timeout should be between 50 ms and {top} ms")


def _create_integration(self: models.Api, **kwargs: Any) -> models.Integration:
    _check_timeout(self, kwargs.get("timeout_in_millis"))
    integration = _original_create_integration(self, **kwargs)
    if kwargs.get("timeout_in_millis") is None and self.protocol_type == "WEBSOCKET":
        # moto defaults Lambda proxy integrations to HTTP APIs' 30000.
        integration.timeout_in_millis = TIMEOUT_LIMITS["WEBSOCKET"]
    return integration


def _update_integration(self: models.Api, **kwargs: Any) -> models.Integration:
    _check_timeout(self, kwargs.get("timeout_in_millis"))
    return _original_update_integration(self, **kwargs)


def _create_route_response(
    self: models.Api, route_id: str, route_response_key: str, **kwargs: Any
) -> models.RouteResponse:
    if self.protocol_type == "WEBSOCKET" and route_response_key != "$default":
        raise BadRequestException("RouteResponseKey must be $default for WebSocket APIs")
    route = self.get_route(route_id)
    if any(r.route_response_key == route_response_key for r in route.route_responses.values()):
        raise Conflict(f"RouteResponse with key {route_response_key} already exists for this Route")
    return _original_create_route_response(self, route_id, route_response_key, **kwargs)


def get_authorizers(self: ApiGatewayV2Response) -> Any:
    api = self.apigatewayv2_backend.get_api(_segments(self)[-2])
    return 200, {}, json.dumps({"items": [a.to_json() for a in api.authorizers.values()]})


def get_route_responses(self: ApiGatewayV2Response) -> Any:
    parts = _segments(self)
    api = self.apigatewayv2_backend.get_api(parts[-4])
    route = api.get_route(parts[-2])
    return 200, {}, json.dumps({"items": [r.to_json() for r in route.route_responses.values()]})


def update_route_response(self: ApiGatewayV2Response) -> Any:
    parts = _segments(self)
    api = self.apigatewayv2_backend.get_api(parts[-5])
    response = api.get_route(parts[-3]).get_route_response(parts[-1])
    params = _body(self)
    if "routeResponseKey" in params:
        if api.protocol_type == "WEBSOCKET" and params["routeResponseKey"] != "$default":
            raise BadRequestException("RouteResponseKey must be $default for WebSocket APIs")
        response.route_response_key = params["routeResponseKey"]
    if "modelSelectionExpression" in params:
        response.model_selection_expression = params["modelSelectionExpression"]
    if "responseModels" in params:
        response.response_models = params["responseModels"]
    return 200, {}, json.dumps(response.to_json())


# -- custom domains and API mappings ------------------------------------------------

_original_domain_init = models.DomainName.__init__
_original_domain_to_json = models.DomainName.to_json
_original_create_domain_name = models.ApiGatewayV2Backend.create_domain_name
_original_create_api_mapping = models.ApiGatewayV2Backend.create_api_mapping


def _check_certificates(
    backend: models.ApiGatewayV2Backend, configurations: list[dict[str, Any]]
) -> None:
    from moto.acm.exceptions import CertificateNotFound
    from moto.acm.models import acm_backends

    for configuration in configurations:
        arn = configuration.get("certificateArn")
        if not arn:
            raise BadRequestException("A certificate ARN is required for a REGIONAL domain name")
        try:
            certificate = acm_backends[backend.account_id][backend.region_name].get_certificate(arn)
        except CertificateNotFound:
            raise BadRequestException(
                f"Certificate {arn} in account {backend.account_id} not found"
            ) from None
        if certificate.status != "ISSUED":
            raise BadRequestException(
                f"Certificate {arn} in account {backend.account_id} not yet issued"
            )


def _complete_configuration(
    region: str, configuration: dict[str, Any], previous: dict[str, Any] | None
) -> dict[str, Any]:
    result = dict(configuration)
    result.setdefault("endpointType", "REGIONAL")
    result.setdefault("securityPolicy", "TLS_1_2")
    result["domainNameStatus"] = "AVAILABLE"
    result["apiGatewayDomainName"] = (previous or {}).get("apiGatewayDomainName") or (
        f"d-{_random_id(10)}.execute-api.{region}.amazonaws.com"
    )
    result["hostedZoneId"] = REGIONAL_HOSTED_ZONES.get(region, REGIONAL_HOSTED_ZONES["us-east-1"])
    return result


def _domain_init(
    self: models.DomainName,
    domain_name: str,
    domain_name_configurations: list[dict[str, Any]],
    mutual_tls_authentication: dict[str, str],
    tags: dict[str, str],
    backend: models.ApiGatewayV2Backend,
) -> None:
    configurations = [
        _complete_configuration(backend.region_name, c, None) for c in domain_name_configurations
    ]
    _original_domain_init(
        self, domain_name, configurations, mutual_tls_authentication, tags, backend
    )
    self.wsdeploy_backend = backend
    backend.tag_resource(self.domain_name_arn, tags)


def _domain_to_json(self: models.DomainName) -> dict[str, Any]:
    result = _original_domain_to_json(self)
    backend = getattr(self, "wsdeploy_backend", None)
    if backend is not None:
        result["tags"] = backend.get_tags(self.domain_name_arn)
    if not result.get("mutualTlsAuthentication"):
        result.pop("mutualTlsAuthentication", None)
    return result


def _create_domain_name(
    self: models.ApiGatewayV2Backend,
    domain_name: str,
    domain_name_configurations: list[dict[str, Any]],
    mutual_tls_authentication: dict[str, str],
    tags: dict[str, str],
) -> models.DomainName:
    if domain_name in self.domain_names:
        raise models.DomainNameAlreadyExists
    _check_certificates(self, domain_name_configurations)
    return _original_create_domain_name(
        self, domain_name, domain_name_configurations, mutual_tls_authentication, tags
    )


def _delete_domain_name(self: models.ApiGatewayV2Backend, domain_name: str) -> None:
    # moto deletes from the mapping dict while iterating over it.
    if domain_name not in self.domain_names:
        raise models.DomainNameNotFound
    for mapping_id in [k for k, m in self.api_mappings.items() if m.domain_name == domain_name]:
        del self.api_mappings[mapping_id]
    del self.domain_names[domain_name]


def update_domain_name(self: ApiGatewayV2Response) -> Any:
    name = _segments(self)[-1]
    backend = self.apigatewayv2_backend
    domain = backend.get_domain_name(name)
    params = _body(self)
    if "domainNameConfigurations" in params:
        configurations = params["domainNameConfigurations"] or []
        _check_certificates(backend, configurations)
        previous = domain.domain_name_configurations
        domain.domain_name_configurations = [
            _complete_configuration(
                backend.region_name, c, previous[i] if i < len(previous) else None
            )
            for i, c in enumerate(configurations)
        ]
    if "mutualTlsAuthentication" in params:
        domain.mutual_tls_authentication = params["mutualTlsAuthentication"]
    return 200, {}, json.dumps(domain.to_json())


def _check_mapping(
    backend: models.ApiGatewayV2Backend,
    domain_name: str,
    api_id: str,
    key: str,
    stage: str,
    mapping_id: str | None,
) -> None:
    api = backend.get_api(api_id)
    if stage:
        api.get_stage(stage)
    for mapping in backend.api_mappings.values():
        if mapping.domain_name != domain_name or mapping.api_mapping_id == mapping_id:
            continue
        if mapping.api_mapping_key == key:
            raise Conflict("ApiMapping key already exists for this domain name")
        other = backend.apis.get(mapping.api_id)
        if other is not None and (other.protocol_type == "WEBSOCKET") != (
            api.protocol_type == "WEBSOCKET"
        ):
            raise BadRequestException(
                "WebSocket APIs cannot be mapped to a domain name that also maps REST or HTTP APIs"
            )


def _create_api_mapping(
    self: models.ApiGatewayV2Backend,
    api_id: str,
    api_mapping_key: str,
    domain_name: str,
    stage: str,
) -> models.ApiMapping:
    self.get_domain_name(domain_name)
    _check_mapping(self, domain_name, api_id, api_mapping_key, stage, None)
    return _original_create_api_mapping(self, api_id, api_mapping_key, domain_name, stage)


def update_api_mapping(self: ApiGatewayV2Response) -> Any:
    parts = _segments(self)
    domain_name, mapping_id = parts[-3], parts[-1]
    backend = self.apigatewayv2_backend
    mapping = backend.get_api_mapping(mapping_id, domain_name)
    params = _body(self)
    if not params.get("apiId"):
        raise BadRequestException("ApiId is required")
    key = params.get("apiMappingKey", mapping.api_mapping_key)
    stage = params.get("stage", mapping.stage)
    if key.startswith("/") or key.endswith("/") or "//" in key:
        raise BadRequestException(
            "API mapping key should not start or end with a '/' or have consecutive '/'s."
        )
    _check_mapping(backend, domain_name, params["apiId"], key, stage, mapping_id)
    mapping.api_id = params["apiId"]
    mapping.api_mapping_key = key
    mapping.stage = stage
    return 200, {}, json.dumps(mapping.to_json())


# -- request paths --------------------------------------------------------------------

_original_setup_class = ApiGatewayV2Response.setup_class


def _setup_class(self: ApiGatewayV2Response, *args: Any, **kwargs: Any) -> None:
    # moto's handlers split the raw path, so a wildcard domain name
    # (`*.example.com`, sent as `%2A.example.com`) or a `$default` route key
    # would not be found.
    _original_setup_class(self, *args, **kwargs)
    self.path = unquote(self.path)


# -- installation -------------------------------------------------------------------

_API = "{0}/v2/apis/(?P<api_id>[^/]+)"
NEW_URL_PATHS = {
    _API + "/deployments$": ApiGatewayV2Response.dispatch,
    _API + "/deployments/(?P<deployment_id>[^/]+)$": ApiGatewayV2Response.dispatch,
    _API + "/stages/(?P<stage_name>[^/]+)/routesettings/(?P<route_key>[^/]+)$": (
        ApiGatewayV2Response.dispatch
    ),
    _API + "/stages/(?P<stage_name>[^/]+)/accesslogsettings$": ApiGatewayV2Response.dispatch,
    # ARNs of stages and domain names contain slashes once URL-decoded.
    "{0}/v2/tags/(?P<resource_arn_any>.+)$": ApiGatewayV2Response.dispatch,
}

NEW_OPERATIONS = {
    "create_deployment": create_deployment,
    "get_deployments": get_deployments,
    "get_deployment": get_deployment,
    "update_deployment": update_deployment,
    "delete_deployment": delete_deployment,
    "update_stage": update_stage,
    "delete_route_settings": delete_route_settings,
    "delete_access_log_settings": delete_access_log_settings,
    "get_authorizers": get_authorizers,
    "get_route_responses": get_route_responses,
    "update_route_response": update_route_response,
    "update_domain_name": update_domain_name,
    "update_api_mapping": update_api_mapping,
}


def install() -> None:
    urls.url_paths.update(NEW_URL_PATHS)
    # moto's API Gateway v1 app copies the v2 paths at import time; requests
    # signed for "apigateway" may be routed to either.
    apigateway_urls.url_paths.update(NEW_URL_PATHS)
    for name, function in NEW_OPERATIONS.items():
        setattr(ApiGatewayV2Response, name, function)
    ApiGatewayV2Response.setup_class = _setup_class
    models.Stage.__init__ = _stage_init
    models.Stage.to_json = _stage_to_json
    models.Api.__init__ = _api_init
    models.Api.create_stage = _create_stage
    models.Api.create_route = _create_route
    models.Api.update_route = _update_route
    models.Api.create_authorizer = _create_authorizer
    models.Api.delete_authorizer = _delete_authorizer
    models.Api.delete_integration = _delete_integration
    models.Api.create_route_response = _create_route_response
    models.Api.create_integration = _create_integration
    models.Api.update_integration = _update_integration
    models.ApiGatewayV2Backend.delete_api = _delete_api
    models.DomainName.__init__ = _domain_init
    models.DomainName.to_json = _domain_to_json
    models.ApiGatewayV2Backend.create_domain_name = _create_domain_name
    models.ApiGatewayV2Backend.delete_domain_name = _delete_domain_name
    models.ApiGatewayV2Backend.create_api_mapping = _create_api_mapping
