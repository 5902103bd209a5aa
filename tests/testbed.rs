//! Tests of the test bed itself (tests/emulator): every operation the
//! emulator adds or corrects round-trips through the AWS SDK for Rust (so the
//! shapes really parse), and every fault appears as docs/testing.md says.
//!
//! Round-trip tests share one emulator and name what they create with
//! `unique_name`, so they run in parallel; fault tests start their own.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aws_sdk_acm::types::{CertificateStatus, ValidationMethod};
use aws_sdk_apigatewayv2::error::ProvideErrorMetadata;
use aws_sdk_apigatewayv2::types::{
    AccessLogSettings, AuthorizationType, AuthorizerType, DomainNameConfiguration, EndpointType,
    IntegrationType, LoggingLevel, ProtocolType, RouteSettings, SecurityPolicy,
};
use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Environment, FunctionCode, LastUpdateStatus, Runtime, State, StateReasonCode,
};
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecordSet, RrType,
};
use serde_json::json;
use support::{Emulator, EmulatorOptions, unique_name};

const ASSUME_ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const ROLE_NOT_ASSUMABLE: &str = "The role defined for the function cannot be assumed by Lambda.";

// -- helpers --------------------------------------------------------------------

fn apigw(config: &aws_config::SdkConfig) -> aws_sdk_apigatewayv2::Client {
    aws_sdk_apigatewayv2::Client::new(config)
}

fn lambda(config: &aws_config::SdkConfig) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(config)
}

fn iam(config: &aws_config::SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(config)
}

fn route53(config: &aws_config::SdkConfig) -> aws_sdk_route53::Client {
    aws_sdk_route53::Client::new(config)
}

fn acm(config: &aws_config::SdkConfig) -> aws_sdk_acm::Client {
    aws_sdk_acm::Client::new(config)
}

/// The smallest valid zip archive (no entries): Lambda only needs bytes.
fn empty_zip() -> Blob {
    let mut bytes = b"PK\x05\x06".to_vec();
    bytes.extend([0u8; 18]);
    Blob::new(bytes)
}

/// Every page of an API Gateway v2 list call, following `nextToken` the way
/// the reconciler does (the Rust SDK has no paginators for these).
macro_rules! pages {
    ($request:expr) => {{
        let mut pages = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = $request
                .set_next_token(token.take())
                .send()
                .await
                .expect(stringify!($request));
            pages.push(page.items().to_vec());
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break pages;
            }
        }
    }};
}

async fn create_authorizer(
    client: &aws_sdk_apigatewayv2::Client,
    api_id: &str,
    name: &str,
    identity_source: &str,
) -> Result<String, aws_sdk_apigatewayv2::Error> {
    let authorizer = client
        .create_authorizer()
        .api_id(api_id)
        .name(name)
        .authorizer_type(AuthorizerType::Request)
        .identity_source(identity_source)
        .authorizer_uri(function_arn(name))
        .send()
        .await?;
    Ok(authorizer.authorizer_id().unwrap_or_default().to_owned())
}

fn cname_change(name: &str, value: &str) -> Change {
    let record = aws_sdk_route53::types::ResourceRecord::builder()
        .value(value)
        .build()
        .expect("record");
    let record_set = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::Cname)
        .ttl(300)
        .resource_records(record)
        .build()
        .expect("record set");
    Change::builder()
        .action(ChangeAction::Upsert)
        .resource_record_set(record_set)
        .build()
        .expect("change")
}

async fn create_websocket_api(client: &aws_sdk_apigatewayv2::Client, name: &str) -> String {
    let api = client
        .create_api()
        .name(name)
        .protocol_type(ProtocolType::Websocket)
        .route_selection_expression("$request.body.action")
        .tags("wsdeploy:app", name)
        .send()
        .await
        .expect("CreateApi");
    api.api_id().expect("CreateApi returns an ApiId").to_owned()
}

/// A WebSocket API with one `$default` route, so it can be deployed.
async fn create_deployable_api(client: &aws_sdk_apigatewayv2::Client, name: &str) -> String {
    let api_id = create_websocket_api(client, name).await;
    let integration = client
        .create_integration()
        .api_id(&api_id)
        .integration_type(IntegrationType::AwsProxy)
        .integration_uri(function_arn(name))
        .send()
        .await
        .expect("CreateIntegration");
    client
        .create_route()
        .api_id(&api_id)
        .route_key("$default")
        .target(format!(
            "integrations/{}",
            integration.integration_id().unwrap_or_default()
        ))
        .send()
        .await
        .expect("CreateRoute");
    api_id
}

fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{name}")
}

async fn create_role(client: &aws_sdk_iam::Client, name: &str) -> String {
    let role = client
        .create_role()
        .role_name(name)
        .path("/wsdeploy/")
        .assume_role_policy_document(ASSUME_ROLE_POLICY)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("wsdeploy:app")
                .value(name)
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("CreateRole");
    role.role()
        .expect("CreateRole returns the role")
        .arn()
        .to_owned()
}

async fn create_function(
    client: &aws_sdk_lambda::Client,
    name: &str,
    role_arn: &str,
) -> Result<
    aws_sdk_lambda::operation::create_function::CreateFunctionOutput,
    aws_sdk_lambda::error::SdkError<
        aws_sdk_lambda::operation::create_function::CreateFunctionError,
    >,
> {
    client
        .create_function()
        .function_name(name)
        .runtime(Runtime::Nodejs20x)
        .handler("index.handler")
        .role(role_arn)
        .code(FunctionCode::builder().zip_file(empty_zip()).build())
        .environment(Environment::builder().variables("STAGE", "dev").build())
        .tags("wsdeploy:app", name)
        .send()
        .await
}

async fn issued_certificate(client: &aws_sdk_acm::Client, domain: &str) -> String {
    let arn = client
        .request_certificate()
        .domain_name(domain)
        .validation_method(ValidationMethod::Dns)
        .idempotency_token(domain.replace(|c: char| !c.is_ascii_alphanumeric(), ""))
        .send()
        .await
        .expect("RequestCertificate")
        .certificate_arn()
        .expect("RequestCertificate returns an ARN")
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let described = client
            .describe_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .expect("DescribeCertificate");
        let status = described.certificate().and_then(|c| c.status()).cloned();
        if status == Some(CertificateStatus::Issued) {
            return arn;
        }
        assert!(
            Instant::now() < deadline,
            "certificate never issued: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// -- API Gateway v2: operations and shapes ----------------------------------------

#[tokio::test]
async fn websocket_api_has_wss_endpoint_and_tags_listed_by_get_apis() {
    let config = Emulator::shared().sdk_config();
    let client = apigw(&config);
    let name = unique_name("api");
    let api = client
        .create_api()
        .name(&name)
        .protocol_type(ProtocolType::Websocket)
        .route_selection_expression("$request.body.action")
        .tags("wsdeploy:app", &name)
        .send()
        .await
        .expect("CreateApi");
    let api_id = api.api_id().expect("ApiId");
    let endpoint = api.api_endpoint().expect("ApiEndpoint");
    assert_eq!(
        endpoint,
        format!("wss://{api_id}.execute-api.us-east-1.amazonaws.com")
    );
    assert_eq!(api.protocol_type(), Some(&ProtocolType::Websocket));
    assert_eq!(
        api.route_selection_expression(),
        Some("$request.body.action")
    );

    // GetApis, page by page, finds it with its tags.
    let pages = pages!(client.get_apis());
    assert!(
        pages.iter().all(|p| p.len() <= 2),
        "pages hold at most page_size items"
    );
    let found = pages
        .iter()
        .flatten()
        .find(|a| a.api_id() == Some(api_id))
        .expect("GetApis lists the new API");
    assert_eq!(
        found
            .tags()
            .and_then(|t| t.get("wsdeploy:app"))
            .map(String::as_str),
        Some(name.as_str())
    );
    assert!(
        found
            .api_endpoint()
            .unwrap_or_default()
            .starts_with("wss://")
    );

    let updated = client
        .update_api()
        .api_id(api_id)
        .description("chat backend")
        .send()
        .await
        .expect("UpdateApi");
    assert_eq!(updated.description(), Some("chat backend"));
}

#[tokio::test]
async fn authorizers_routes_and_route_responses_round_trip() {
    let config = Emulator::shared().sdk_config();
    let client = apigw(&config);
    let name = unique_name("routes");
    let api_id = create_websocket_api(&client, &name).await;

    let authorizer_uri = format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations",
        function_arn(&name)
    );
    let authorizer = client
        .create_authorizer()
        .api_id(&api_id)
        .name(format!("{name}-authorizer"))
        .authorizer_type(AuthorizerType::Request)
        .identity_source("route.request.header.Auth")
        .identity_source("route.request.querystring.token")
        .authorizer_uri(&authorizer_uri)
        .send()
        .await
        .expect("CreateAuthorizer");
    let authorizer_id = authorizer.authorizer_id().expect("AuthorizerId").to_owned();
    let authorizers = client
        .get_authorizers()
        .api_id(&api_id)
        .send()
        .await
        .expect("GetAuthorizers");
    assert_eq!(authorizers.items().len(), 1);
    let listed = &authorizers.items()[0];
    assert_eq!(listed.authorizer_id(), Some(authorizer_id.as_str()));
    assert_eq!(listed.authorizer_type(), Some(&AuthorizerType::Request));
    assert_eq!(
        listed.identity_source(),
        [
            "route.request.header.Auth",
            "route.request.querystring.token"
        ]
    );
    assert_eq!(listed.authorizer_uri(), Some(authorizer_uri.as_str()));

    let integration = client
        .create_integration()
        .api_id(&api_id)
        .integration_type(IntegrationType::AwsProxy)
        .integration_uri(function_arn(&name))
        .send()
        .await
        .expect("CreateIntegration");
    let target = format!(
        "integrations/{}",
        integration.integration_id().expect("IntegrationId")
    );
    assert_eq!(
        integration.integration_type(),
        Some(&IntegrationType::AwsProxy)
    );

    let connect = client
        .create_route()
        .api_id(&api_id)
        .route_key("$connect")
        .target(&target)
        .authorization_type(AuthorizationType::Custom)
        .authorizer_id(&authorizer_id)
        .send()
        .await
        .expect("CreateRoute $connect");
    assert_eq!(
        connect.authorization_type(),
        Some(&AuthorizationType::Custom)
    );
    assert_eq!(connect.authorizer_id(), Some(authorizer_id.as_str()));
    for key in ["$disconnect", "$default"] {
        client
            .create_route()
            .api_id(&api_id)
            .route_key(key)
            .target(&target)
            .send()
            .await
            .expect("CreateRoute");
    }
    let send = client
        .create_route()
        .api_id(&api_id)
        .route_key("sendMessage")
        .target(&target)
        .route_response_selection_expression("$default")
        .send()
        .await
        .expect("CreateRoute sendMessage");
    let send_id = send.route_id().expect("RouteId").to_owned();
    assert_eq!(send.route_response_selection_expression(), Some("$default"));

    let response = client
        .create_route_response()
        .api_id(&api_id)
        .route_id(&send_id)
        .route_response_key("$default")
        .send()
        .await
        .expect("CreateRouteResponse");
    let responses = client
        .get_route_responses()
        .api_id(&api_id)
        .route_id(&send_id)
        .send()
        .await
        .expect("GetRouteResponses");
    assert_eq!(responses.items().len(), 1);
    assert_eq!(
        responses.items()[0].route_response_id(),
        response.route_response_id()
    );
    assert_eq!(responses.items()[0].route_response_key(), Some("$default"));

    // Four routes come back over pages of two.
    let pages = pages!(client.get_routes().api_id(&api_id));
    let mut keys: Vec<_> = pages
        .iter()
        .flatten()
        .filter_map(|r| r.route_key())
        .collect();
    keys.sort();
    assert_eq!(keys, ["$connect", "$default", "$disconnect", "sendMessage"]);
    assert_eq!(pages.len(), 2);
}

#[tokio::test]
async fn websocket_rules_are_enforced_with_typed_errors() {
    let config = Emulator::shared().sdk_config();
    let client = apigw(&config);
    let name = unique_name("rules");
    let api_id = create_deployable_api(&client, &name).await;
    let authorizer_id = create_authorizer(&client, &api_id, "auth", "route.request.header.Auth")
        .await
        .expect("CreateAuthorizer");

    // `$request.header.*` identity sources are HTTP API syntax.
    let bad_source = create_authorizer(&client, &api_id, "bad", "$request.header.Auth")
        .await
        .expect_err("HTTP-style identity source");
    assert!(
        matches!(
            bad_source,
            aws_sdk_apigatewayv2::Error::BadRequestException(_)
        ),
        "{bad_source:?}"
    );

    // Authorization is for $connect only.
    let not_connect = client
        .create_route()
        .api_id(&api_id)
        .route_key("sendMessage")
        .authorization_type(AuthorizationType::Custom)
        .authorizer_id(&authorizer_id)
        .send()
        .await
        .expect_err("authorizer on sendMessage");
    let service_error = not_connect.into_service_error();
    assert!(service_error.is_bad_request_exception());
    assert_eq!(
        service_error.message(),
        Some("Currently, authorization is restricted to the $connect route only")
    );

    // Route keys are unique.
    let duplicate = client
        .create_route()
        .api_id(&api_id)
        .route_key("$default")
        .send()
        .await
        .expect_err("second $default");
    assert!(
        duplicate
            .as_service_error()
            .is_some_and(|e| e.is_conflict_exception())
    );

    // An authorizer in use cannot be deleted until the route lets go of it.
    let connect_id = client
        .create_route()
        .api_id(&api_id)
        .route_key("$connect")
        .authorization_type(AuthorizationType::Custom)
        .authorizer_id(&authorizer_id)
        .send()
        .await
        .expect("CreateRoute $connect")
        .route_id()
        .expect("RouteId")
        .to_owned();
    let in_use = client
        .delete_authorizer()
        .api_id(&api_id)
        .authorizer_id(&authorizer_id)
        .send()
        .await
        .expect_err("authorizer in use");
    // Not in the operation's modelled errors: the SDK exposes it by code.
    assert_eq!(
        in_use.as_service_error().and_then(|e| e.code()),
        Some("ConflictException")
    );
    let detached = client
        .update_route()
        .api_id(&api_id)
        .route_id(&connect_id)
        .authorization_type(AuthorizationType::None)
        .send()
        .await
        .expect("UpdateRoute to NONE");
    assert_eq!(detached.authorizer_id(), None);
    client
        .delete_authorizer()
        .api_id(&api_id)
        .authorizer_id(&authorizer_id)
        .send()
        .await
        .expect("DeleteAuthorizer once unused");

    // Unknown identifiers are typed NotFound.
    let missing = client
        .get_route()
        .api_id(&api_id)
        .route_id("nope1234")
        .send()
        .await
        .expect_err("unknown route");
    assert!(
        missing
            .as_service_error()
            .is_some_and(|e| e.is_not_found_exception())
    );
}

#[tokio::test]
async fn stages_and_deployments_round_trip() {
    let config = Emulator::shared().sdk_config();
    let client = apigw(&config);
    let name = unique_name("stage");
    let api_id = create_deployable_api(&client, &name).await;

    let log_group = format!("arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/{name}");
    let stage = client
        .create_stage()
        .api_id(&api_id)
        .stage_name("dev")
        .default_route_settings(
            RouteSettings::builder()
                .throttling_burst_limit(500)
                .throttling_rate_limit(1000.0)
                .logging_level(LoggingLevel::Info)
                .data_trace_enabled(false)
                .detailed_metrics_enabled(true)
                .build(),
        )
        .route_settings(
            "sendMessage",
            RouteSettings::builder()
                .throttling_burst_limit(50)
                .throttling_rate_limit(100.0)
                .build(),
        )
        .stage_variables("featureFlag", "on")
        .stage_variables("table", "connections")
        .access_log_settings(
            AccessLogSettings::builder()
                .destination_arn(&log_group)
                .format("$context.requestId")
                .build(),
        )
        .tags("wsdeploy:app", &name)
        .send()
        .await
        .expect("CreateStage");
    assert_eq!(stage.deployment_id(), None);

    let first = client
        .create_deployment()
        .api_id(&api_id)
        .stage_name("dev")
        .description("first")
        .send()
        .await
        .expect("CreateDeployment");
    let first_id = first.deployment_id().expect("DeploymentId").to_owned();
    assert_eq!(
        first.deployment_status(),
        Some(&aws_sdk_apigatewayv2::types::DeploymentStatus::Deployed)
    );
    assert!(first.created_date().is_some());

    let fetched = client
        .get_stage()
        .api_id(&api_id)
        .stage_name("dev")
        .send()
        .await
        .expect("GetStage");
    assert_eq!(fetched.deployment_id(), Some(first_id.as_str()));
    let defaults = fetched
        .default_route_settings()
        .expect("DefaultRouteSettings");
    assert_eq!(defaults.throttling_burst_limit(), Some(500));
    assert_eq!(defaults.throttling_rate_limit(), Some(1000.0));
    assert_eq!(defaults.logging_level(), Some(&LoggingLevel::Info));
    let route_settings = fetched.route_settings().expect("RouteSettings");
    assert_eq!(
        route_settings["sendMessage"].throttling_burst_limit(),
        Some(50)
    );
    let variables = fetched.stage_variables().expect("StageVariables");
    assert_eq!(variables.get("featureFlag").map(String::as_str), Some("on"));
    let logs = fetched.access_log_settings().expect("AccessLogSettings");
    assert_eq!(logs.destination_arn(), Some(log_group.as_str()));
    assert_eq!(
        fetched
            .tags()
            .and_then(|t| t.get("wsdeploy:app"))
            .map(String::as_str),
        Some(name.as_str())
    );

    // A deployment used by a stage cannot go.
    let in_use = client
        .delete_deployment()
        .api_id(&api_id)
        .deployment_id(&first_id)
        .send()
        .await
        .expect_err("deployment in use");
    assert_eq!(
        in_use.as_service_error().and_then(|e| e.code()),
        Some("BadRequestException")
    );

    // Deploy without a stage, then point the stage at it with UpdateStage.
    let second_id = client
        .create_deployment()
        .api_id(&api_id)
        .description("second")
        .send()
        .await
        .expect("CreateDeployment without stage")
        .deployment_id()
        .expect("DeploymentId")
        .to_owned();
    let updated = client
        .update_stage()
        .api_id(&api_id)
        .stage_name("dev")
        .deployment_id(&second_id)
        .stage_variables("featureFlag", "")
        .stage_variables("newVar", "1")
        .route_settings(
            "$default",
            RouteSettings::builder().throttling_burst_limit(7).build(),
        )
        .default_route_settings(
            RouteSettings::builder()
                .logging_level(LoggingLevel::Error)
                .build(),
        )
        .send()
        .await
        .expect("UpdateStage");
    assert_eq!(updated.deployment_id(), Some(second_id.as_str()));
    let variables = updated.stage_variables().expect("StageVariables");
    assert!(
        !variables.contains_key("featureFlag"),
        "\"\" removes a variable"
    );
    assert_eq!(variables.get("newVar").map(String::as_str), Some("1"));
    let route_settings = updated.route_settings().expect("RouteSettings");
    assert!(route_settings.contains_key("sendMessage") && route_settings.contains_key("$default"));
    let defaults = updated
        .default_route_settings()
        .expect("DefaultRouteSettings");
    assert_eq!(defaults.logging_level(), Some(&LoggingLevel::Error));
    assert_eq!(
        defaults.throttling_burst_limit(),
        Some(500),
        "unnamed members are kept"
    );

    client
        .delete_route_settings()
        .api_id(&api_id)
        .stage_name("dev")
        .route_key("sendMessage")
        .send()
        .await
        .expect("DeleteRouteSettings");

    let listed = client
        .get_deployments()
        .api_id(&api_id)
        .send()
        .await
        .expect("GetDeployments");
    let ids: HashSet<_> = listed
        .items()
        .iter()
        .filter_map(|d| d.deployment_id())
        .collect();
    assert_eq!(ids, HashSet::from([first_id.as_str(), second_id.as_str()]));
    let one = client
        .get_deployment()
        .api_id(&api_id)
        .deployment_id(&second_id)
        .send()
        .await
        .expect("GetDeployment");
    assert_eq!(one.description(), Some("second"));

    client
        .delete_deployment()
        .api_id(&api_id)
        .deployment_id(&first_id)
        .send()
        .await
        .expect("DeleteDeployment once unused");
    let gone = client
        .get_deployment()
        .api_id(&api_id)
        .deployment_id(&first_id)
        .send()
        .await
        .expect_err("deleted deployment");
    assert!(
        gone.as_service_error()
            .is_some_and(|e| e.is_not_found_exception())
    );
}

#[tokio::test]
async fn deploying_an_api_without_routes_is_refused() {
    let config = Emulator::shared().sdk_config();
    let client = apigw(&config);
    let api_id = create_websocket_api(&client, &unique_name("empty")).await;
    let error = client
        .create_deployment()
        .api_id(&api_id)
        .send()
        .await
        .expect_err("no routes");
    let error = error.into_service_error();
    assert!(error.is_bad_request_exception());
    assert_eq!(
        error.message(),
        Some("At least one route is required before deploying the Api.")
    );
}

#[tokio::test]
async fn custom_domain_certificate_mapping_and_alias_round_trip() {
    let config = Emulator::shared().sdk_config();
    let client = apigw(&config);
    let name = unique_name("dom");
    let domain = format!("ws.{name}.example.com");
    let api_id = create_deployable_api(&client, &name).await;
    client
        .create_stage()
        .api_id(&api_id)
        .stage_name("dev")
        .send()
        .await
        .expect("CreateStage");

    // ACM: DNS validation, idempotency token, tags.
    let certificates = acm(&config);
    let request = || {
        certificates
            .request_certificate()
            .domain_name(&domain)
            .validation_method(ValidationMethod::Dns)
            .idempotency_token(name.replace('-', ""))
            .tags(
                aws_sdk_acm::types::Tag::builder()
                    .key("wsdeploy:app")
                    .value(&name)
                    .build()
                    .expect("tag"),
            )
            .send()
    };
    let certificate_arn = request()
        .await
        .expect("RequestCertificate")
        .certificate_arn()
        .expect("CertificateArn")
        .to_owned();
    let again = request().await.expect("RequestCertificate again");
    assert_eq!(
        again.certificate_arn(),
        Some(certificate_arn.as_str()),
        "same token, same certificate"
    );
    let described = certificates
        .describe_certificate()
        .certificate_arn(&certificate_arn)
        .send()
        .await
        .expect("DescribeCertificate");
    let certificate = described.certificate().expect("Certificate");
    assert_eq!(certificate.status(), Some(&CertificateStatus::Issued));
    let record = certificate.domain_validation_options()[0]
        .resource_record()
        .expect("ResourceRecord");
    assert!(record.name().ends_with(&format!("{domain}.")));
    let tags = certificates
        .list_tags_for_certificate()
        .certificate_arn(&certificate_arn)
        .send()
        .await
        .expect("ListTagsForCertificate");
    assert_eq!(tags.tags()[0].value(), Some(name.as_str()));

    // API Gateway: REGIONAL domain name, its alias target, its tags.
    let created = client
        .create_domain_name()
        .domain_name(&domain)
        .domain_name_configurations(
            DomainNameConfiguration::builder()
                .certificate_arn(&certificate_arn)
                .endpoint_type(EndpointType::Regional)
                .security_policy(SecurityPolicy::Tls12)
                .build(),
        )
        .tags("wsdeploy:app", &name)
        .send()
        .await
        .expect("CreateDomainName");
    let configuration = &created.domain_name_configurations()[0];
    let target = configuration
        .api_gateway_domain_name()
        .expect("ApiGatewayDomainName")
        .to_owned();
    assert!(target.starts_with("d-") && target.ends_with(".execute-api.us-east-1.amazonaws.com"));
    assert_eq!(configuration.hosted_zone_id(), Some("Z1UJRXOUMOOFQ8"));
    assert_eq!(configuration.endpoint_type(), Some(&EndpointType::Regional));
    assert_eq!(
        configuration.domain_name_status(),
        Some(&aws_sdk_apigatewayv2::types::DomainNameStatus::Available)
    );
    let domain_arn = created.domain_name_arn().expect("DomainNameArn").to_owned();
    let tags = client
        .get_tags()
        .resource_arn(&domain_arn)
        .send()
        .await
        .expect("GetTags on a domain name");
    assert_eq!(
        tags.tags()
            .and_then(|t| t.get("wsdeploy:app"))
            .map(String::as_str),
        Some(name.as_str())
    );
    let fetched = client
        .get_domain_name()
        .domain_name(&domain)
        .send()
        .await
        .expect("GetDomainName");
    assert_eq!(
        fetched.domain_name_configurations()[0].api_gateway_domain_name(),
        Some(target.as_str())
    );
    assert!(
        fetched
            .tags()
            .is_some_and(|t| t.contains_key("wsdeploy:app"))
    );

    // API mappings.
    let mapping = client
        .create_api_mapping()
        .domain_name(&domain)
        .api_id(&api_id)
        .stage("dev")
        .api_mapping_key("v1")
        .send()
        .await
        .expect("CreateApiMapping");
    let mapping_id = mapping.api_mapping_id().expect("ApiMappingId").to_owned();
    let duplicate = client
        .create_api_mapping()
        .domain_name(&domain)
        .api_id(&api_id)
        .stage("dev")
        .api_mapping_key("v1")
        .send()
        .await
        .expect_err("duplicate mapping key");
    assert!(
        duplicate
            .as_service_error()
            .is_some_and(|e| e.is_conflict_exception())
    );
    let moved = client
        .update_api_mapping()
        .domain_name(&domain)
        .api_mapping_id(&mapping_id)
        .api_id(&api_id)
        .api_mapping_key("v2")
        .send()
        .await
        .expect("UpdateApiMapping");
    assert_eq!(moved.api_mapping_key(), Some("v2"));
    assert_eq!(moved.api_mapping_id(), Some(mapping_id.as_str()));
    let mappings = client
        .get_api_mappings()
        .domain_name(&domain)
        .send()
        .await
        .expect("GetApiMappings");
    assert_eq!(mappings.items().len(), 1);
    assert_eq!(mappings.items()[0].stage(), Some("dev"));

    let blocked = client
        .delete_api()
        .api_id(&api_id)
        .send()
        .await
        .expect_err("API with a mapping");
    let blocked = blocked.into_service_error();
    assert_eq!(blocked.code(), Some("BadRequestException"));
    assert!(
        blocked
            .message()
            .unwrap_or_default()
            .contains("remove all API mappings")
    );

    // Route 53: an alias to the regional endpoint, then GetChange.
    let dns = route53(&config);
    let zone = dns
        .create_hosted_zone()
        .name(format!("{name}.example.com"))
        .caller_reference(&name)
        .send()
        .await
        .expect("CreateHostedZone");
    let zone_id = zone.hosted_zone().expect("HostedZone").id().to_owned();
    let alias = ResourceRecordSet::builder()
        .name(&domain)
        .r#type(RrType::A)
        .alias_target(
            AliasTarget::builder()
                .dns_name(&target)
                .hosted_zone_id(configuration.hosted_zone_id().unwrap_or_default())
                .evaluate_target_health(false)
                .build()
                .expect("alias target"),
        )
        .build()
        .expect("record set");
    let change = dns
        .change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(ChangeAction::Upsert)
                        .resource_record_set(alias)
                        .build()
                        .expect("change"),
                )
                .build()
                .expect("change batch"),
        )
        .send()
        .await
        .expect("ChangeResourceRecordSets");
    let change_id = change.change_info().expect("ChangeInfo").id().to_owned();
    let status = dns
        .get_change()
        .id(&change_id)
        .send()
        .await
        .expect("GetChange");
    assert_eq!(
        status.change_info().map(|c| c.status()),
        Some(&ChangeStatus::Insync)
    );
    let records = dns
        .list_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .start_record_name(&domain)
        .start_record_type(RrType::A)
        .send()
        .await
        .expect("ListResourceRecordSets");
    let listed = &records.resource_record_sets()[0];
    assert_eq!(listed.name(), format!("{domain}."));
    let alias_name = listed
        .alias_target()
        .map(|a| a.dns_name().trim_end_matches('.'));
    assert_eq!(alias_name, Some(target.as_str()));

    // Tear down in AWS's order: mapping, then the API can go.
    client
        .delete_api_mapping()
        .domain_name(&domain)
        .api_mapping_id(&mapping_id)
        .send()
        .await
        .expect("DeleteApiMapping");
    client
        .delete_api()
        .api_id(&api_id)
        .send()
        .await
        .expect("DeleteApi");
    client
        .delete_domain_name()
        .domain_name(&domain)
        .send()
        .await
        .expect("DeleteDomainName");
}

#[tokio::test]
async fn wildcard_domain_names_round_trip() {
    let config = Emulator::shared().sdk_config();
    let client = apigw(&config);
    let name = unique_name("wild");
    let domain = format!("*.{name}.example.com");
    let certificate_arn = issued_certificate(&acm(&config), &domain).await;
    let described = acm(&config)
        .describe_certificate()
        .certificate_arn(&certificate_arn)
        .send()
        .await
        .expect("DescribeCertificate");
    let record = described
        .certificate()
        .map(|c| c.domain_validation_options())
        .and_then(|options| options.first())
        .and_then(|option| option.resource_record())
        .expect("validation record");
    assert!(
        record.name().ends_with(&format!(".{name}.example.com.")) && !record.name().contains('*'),
        "the wildcard is validated on its base name: {}",
        record.name()
    );

    client
        .create_domain_name()
        .domain_name(&domain)
        .domain_name_configurations(
            DomainNameConfiguration::builder()
                .certificate_arn(&certificate_arn)
                .build(),
        )
        .send()
        .await
        .expect("CreateDomainName");
    let fetched = client
        .get_domain_name()
        .domain_name(&domain)
        .send()
        .await
        .expect("GetDomainName with a wildcard");
    assert_eq!(fetched.domain_name(), Some(domain.as_str()));
    let api_id = create_deployable_api(&client, &name).await;
    client
        .create_stage()
        .api_id(&api_id)
        .stage_name("dev")
        .send()
        .await
        .expect("CreateStage");
    let mapping_id = client
        .create_api_mapping()
        .domain_name(&domain)
        .api_id(&api_id)
        .stage("dev")
        .send()
        .await
        .expect("CreateApiMapping on a wildcard domain")
        .api_mapping_id()
        .expect("ApiMappingId")
        .to_owned();
    let mappings = client
        .get_api_mappings()
        .domain_name(&domain)
        .send()
        .await
        .expect("GetApiMappings");
    assert_eq!(mappings.items().len(), 1);
    client
        .delete_api_mapping()
        .domain_name(&domain)
        .api_mapping_id(&mapping_id)
        .send()
        .await
        .expect("DeleteApiMapping");
    client
        .delete_domain_name()
        .domain_name(&domain)
        .send()
        .await
        .expect("DeleteDomainName");
}

#[tokio::test]
async fn domain_name_needs_an_issued_certificate() {
    let config = Emulator::shared().sdk_config();
    let client = apigw(&config);
    let domain = format!("{}.example.com", unique_name("nocert"));
    let error = client
        .create_domain_name()
        .domain_name(&domain)
        .domain_name_configurations(
            DomainNameConfiguration::builder()
                .certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/missing")
                .endpoint_type(EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .expect_err("unknown certificate");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_bad_request_exception())
    );
}

// -- Lambda and IAM -------------------------------------------------------------------

#[tokio::test]
async fn role_and_function_round_trip() {
    let config = Emulator::shared().sdk_config();
    let roles = iam(&config);
    let functions = lambda(&config);
    let name = unique_name("fn");

    let role_arn = create_role(&roles, &name).await;
    assert!(role_arn.ends_with(&format!(":role/wsdeploy/{name}")));
    let role_tags = roles
        .list_role_tags()
        .role_name(&name)
        .send()
        .await
        .expect("ListRoleTags");
    assert_eq!(role_tags.tags()[0].value(), name);
    roles
        .put_role_policy()
        .role_name(&name)
        .policy_name("inline")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:PutItem","Resource":"*"}]}"#)
        .send()
        .await
        .expect("PutRolePolicy");
    let policy = roles
        .get_role_policy()
        .role_name(&name)
        .policy_name("inline")
        .send()
        .await
        .expect("GetRolePolicy");
    assert!(policy.policy_document().contains("dynamodb"));

    let created = create_function(&functions, &name, &role_arn)
        .await
        .expect("CreateFunction");
    assert_eq!(created.state(), Some(&State::Active));
    let function_arn = created.function_arn().expect("FunctionArn").to_owned();
    assert!(created.code_sha256().is_some_and(|sha| !sha.is_empty()));
    let tags = functions
        .list_tags()
        .resource(&function_arn)
        .send()
        .await
        .expect("ListTags");
    assert_eq!(
        tags.tags()
            .and_then(|t| t.get("wsdeploy:app"))
            .map(String::as_str),
        Some(name.as_str())
    );

    let source_arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*";
    functions
        .add_permission()
        .function_name(&name)
        .statement_id("wsdeploy-apigateway")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(source_arn)
        .send()
        .await
        .expect("AddPermission");
    let duplicate = functions
        .add_permission()
        .function_name(&name)
        .statement_id("wsdeploy-apigateway")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(source_arn)
        .send()
        .await
        .expect_err("duplicate statement id");
    assert!(
        duplicate
            .as_service_error()
            .is_some_and(|e| e.is_resource_conflict_exception())
    );
    let policy = functions
        .get_policy()
        .function_name(&name)
        .send()
        .await
        .expect("GetPolicy");
    let document: serde_json::Value =
        serde_json::from_str(policy.policy().expect("Policy")).expect("policy is JSON");
    assert_eq!(document["Statement"][0]["Sid"], "wsdeploy-apigateway");
    functions
        .remove_permission()
        .function_name(&name)
        .statement_id("wsdeploy-apigateway")
        .send()
        .await
        .expect("RemovePermission");

    let updated = functions
        .update_function_configuration()
        .function_name(&name)
        .timeout(20)
        .memory_size(256)
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    assert_eq!(updated.timeout(), Some(20));
    assert_eq!(
        updated.last_update_status(),
        Some(&LastUpdateStatus::Successful)
    );
    functions
        .update_function_code()
        .function_name(&name)
        .zip_file(empty_zip())
        .send()
        .await
        .expect("UpdateFunctionCode");
    functions
        .delete_function()
        .function_name(&name)
        .send()
        .await
        .expect("DeleteFunction");
    roles
        .delete_role_policy()
        .role_name(&name)
        .policy_name("inline")
        .send()
        .await
        .expect("DeleteRolePolicy");
    roles
        .delete_role()
        .role_name(&name)
        .send()
        .await
        .expect("DeleteRole");
}

// -- pagination ---------------------------------------------------------------------

#[tokio::test]
async fn api_gateway_lists_come_in_small_pages() {
    let config = Emulator::shared().sdk_config();
    let client = apigw(&config);
    let name = unique_name("pages");
    let api_id = create_websocket_api(&client, &name).await;
    for i in 0..5 {
        client
            .create_integration()
            .api_id(&api_id)
            .integration_type(IntegrationType::AwsProxy)
            .integration_uri(function_arn(&format!("{name}-{i}")))
            .send()
            .await
            .expect("CreateIntegration");
        create_authorizer(
            &client,
            &api_id,
            &format!("auth{i}"),
            "route.request.header.Auth",
        )
        .await
        .expect("CreateAuthorizer");
        client
            .create_stage()
            .api_id(&api_id)
            .stage_name(format!("s{i}"))
            .send()
            .await
            .expect("CreateStage");
    }

    let pages = pages!(client.get_integrations().api_id(&api_id));
    let integrations: HashSet<_> = pages
        .iter()
        .flatten()
        .filter_map(|i| i.integration_id())
        .collect();
    assert_eq!((integrations.len(), pages.len()), (5, 3), "every item once");

    let authorizers = pages!(client.get_authorizers().api_id(&api_id));
    assert_eq!(authorizers.iter().flatten().count(), 5);

    // A client's smaller page size wins.
    let one = client
        .get_stages()
        .api_id(&api_id)
        .max_results("1")
        .send()
        .await
        .expect("GetStages");
    assert_eq!(one.items().len(), 1);
    assert!(one.next_token().is_some());

    let bad = client
        .get_stages()
        .api_id(&api_id)
        .next_token("not-a-token")
        .send()
        .await
        .expect_err("foreign token");
    assert!(
        bad.as_service_error()
            .is_some_and(|e| e.is_bad_request_exception())
    );
}

#[tokio::test]
async fn lambda_and_iam_paginators_collect_every_page() {
    let config = Emulator::shared().sdk_config();
    let roles = iam(&config);
    let functions = lambda(&config);
    let name = unique_name("iampg");
    let path = format!("/{name}/");

    let mut role_arn = String::new();
    for i in 0..3 {
        role_arn = roles
            .create_role()
            .role_name(format!("{name}-{i}"))
            .path(&path)
            .assume_role_policy_document(ASSUME_ROLE_POLICY)
            .send()
            .await
            .expect("CreateRole")
            .role()
            .expect("role")
            .arn()
            .to_owned();
    }
    let role = format!("{name}-2");
    for i in 0..5 {
        roles
            .put_role_policy()
            .role_name(&role)
            .policy_name(format!("p{i}"))
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#)
            .send()
            .await
            .expect("PutRolePolicy");
    }
    for i in 0..3 {
        let policy_arn = roles
            .create_policy()
            .policy_name(format!("{name}-m{i}"))
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}"#)
            .send()
            .await
            .expect("CreatePolicy")
            .policy()
            .and_then(|p| p.arn())
            .expect("policy ARN")
            .to_owned();
        roles
            .attach_role_policy()
            .role_name(&role)
            .policy_arn(policy_arn)
            .send()
            .await
            .expect("AttachRolePolicy");
    }

    let pages: Vec<_> = roles
        .list_roles()
        .path_prefix(&path)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListRoles pages");
    let listed: Vec<_> = pages
        .iter()
        .flat_map(|p| p.roles())
        .map(|r| r.role_name())
        .collect();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(pages.len(), 2);

    let inline: Vec<_> = roles
        .list_role_policies()
        .role_name(&role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListRolePolicies");
    assert_eq!(inline, ["p0", "p1", "p2", "p3", "p4"]);

    let attached: Vec<_> = roles
        .list_attached_role_policies()
        .role_name(&role)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListAttachedRolePolicies");
    assert_eq!(attached.len(), 3);

    for i in 0..3 {
        create_function(&functions, &format!("{name}-{i}"), &role_arn)
            .await
            .expect("CreateFunction");
    }
    let function_pages: Vec<_> = functions
        .list_functions()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListFunctions pages");
    assert!(function_pages.iter().all(|p| p.functions().len() <= 2));
    let mine = function_pages
        .iter()
        .flat_map(|p| p.functions())
        .filter(|f| f.function_name().is_some_and(|n| n.starts_with(&name)))
        .count();
    assert_eq!(mine, 3);
}

#[tokio::test]
async fn route53_and_acm_lists_come_in_small_pages() {
    let config = Emulator::shared().sdk_config();
    let dns = route53(&config);
    let certificates = acm(&config);
    let name = unique_name("r53pg");

    let zone_name = format!("{name}.example.com.");
    let zone_id = dns
        .create_hosted_zone()
        .name(&zone_name)
        .caller_reference(&name)
        .send()
        .await
        .expect("CreateHostedZone")
        .hosted_zone()
        .expect("HostedZone")
        .id()
        .to_owned();
    for i in 0..2 {
        dns.create_hosted_zone()
            .name(format!("z{i}.{name}.example.com"))
            .caller_reference(format!("{name}-{i}"))
            .send()
            .await
            .expect("CreateHostedZone");
    }
    let changes = (0..4)
        .map(|i| cname_change(&format!("r{i}.{zone_name}"), "target.example.com"))
        .collect();
    dns.change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .expect("ChangeResourceRecordSets");

    // ListResourceRecordSets: NS + SOA + 4 CNAMEs over pages of two.
    let mut records = Vec::new();
    let mut pages = 0;
    let mut start: Option<(String, RrType)> = None;
    loop {
        let mut request = dns.list_resource_record_sets().hosted_zone_id(&zone_id);
        if let Some((record_name, record_type)) = start.take() {
            request = request
                .start_record_name(record_name)
                .start_record_type(record_type);
        }
        let page = request.send().await.expect("ListResourceRecordSets");
        pages += 1;
        records.extend(
            page.resource_record_sets()
                .iter()
                .map(|r| r.name().to_owned()),
        );
        if !page.is_truncated() {
            break;
        }
        start = Some((
            page.next_record_name().expect("NextRecordName").to_owned(),
            page.next_record_type().expect("NextRecordType").clone(),
        ));
    }
    assert_eq!(records.len(), 6, "{records:?}");
    assert_eq!(pages, 3);

    // ListHostedZonesByName starts at DNSName and goes on in name order.
    let by_name = dns
        .list_hosted_zones_by_name()
        .dns_name(&zone_name)
        .send()
        .await
        .expect("ListHostedZonesByName");
    assert_eq!(by_name.hosted_zones().len(), 2);
    assert_eq!(by_name.hosted_zones()[0].name(), zone_name);
    assert!(by_name.is_truncated());
    let next = dns
        .list_hosted_zones_by_name()
        .dns_name(by_name.next_dns_name().expect("NextDNSName"))
        .hosted_zone_id(by_name.next_hosted_zone_id().expect("NextHostedZoneId"))
        .send()
        .await
        .expect("ListHostedZonesByName, next page");
    assert!(!next.hosted_zones().is_empty());

    let zone_pages: Vec<_> = dns
        .list_hosted_zones()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListHostedZones pages");
    assert!(zone_pages.len() >= 2);
    assert!(zone_pages.iter().all(|p| p.hosted_zones().len() <= 2));

    for i in 0..3 {
        issued_certificate(&certificates, &format!("c{i}.{name}.example.com")).await;
    }
    let certificate_pages: Vec<_> = certificates
        .list_certificates()
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListCertificates pages");
    assert!(
        certificate_pages
            .iter()
            .all(|p| p.certificate_summary_list().len() <= 2)
    );
    let mine = certificate_pages
        .iter()
        .flat_map(|p| p.certificate_summary_list())
        .filter(|c| {
            c.domain_name()
                .is_some_and(|d| d.ends_with(&format!("{name}.example.com")))
        })
        .count();
    assert_eq!(mine, 3);
}

// -- faults -------------------------------------------------------------------------------

#[tokio::test]
async fn latency_delays_every_request() {
    let emulator = Emulator::start_with(EmulatorOptions::new().latency_ms(300));
    let config = emulator.sdk_config_without_retries();
    let client = apigw(&config);
    let started = Instant::now();
    client.get_apis().send().await.expect("GetApis");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );

    let delayed = emulator.calls();
    assert!(delayed[0].duration_ms >= 300.0, "{delayed:?}");

    emulator.set_faults(json!({ "latency_ms": 0 }));
    client.get_apis().send().await.expect("GetApis");
    // Measured by the emulator, so a busy test machine cannot blur it.
    let calls = emulator.calls();
    assert!(calls[1].duration_ms < 300.0, "{calls:?}");
}

#[tokio::test]
async fn young_roles_cannot_be_assumed_by_lambda() {
    let emulator =
        Emulator::start_with(EmulatorOptions::new().fault("iam_propagation_s", json!(1)));
    let config = emulator.sdk_config_without_retries();
    let functions = lambda(&config);
    let name = unique_name("young");
    let before_role = Instant::now();
    let role_arn = create_role(&iam(&config), &name).await;

    let error = create_function(&functions, &name, &role_arn)
        .await
        .expect_err("role too young");
    let error = error.into_service_error();
    assert!(error.is_invalid_parameter_value_exception(), "{error:?}");
    assert_eq!(error.message(), Some(ROLE_NOT_ASSUMABLE));

    // Retrying succeeds once the role is old enough.
    let mut attempts = 1;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        attempts += 1;
        match create_function(&functions, &name, &role_arn).await {
            Ok(_) => break,
            Err(error) => {
                let error = error.into_service_error();
                assert!(error.is_invalid_parameter_value_exception(), "{error:?}");
                assert!(attempts < 20, "still rejected after {attempts} attempts");
            }
        }
    }
    assert!(
        before_role.elapsed() >= Duration::from_secs(1),
        "accepted a role younger than 1 s: {:?}",
        before_role.elapsed()
    );

    // UpdateFunctionConfiguration naming a new role is checked too.
    let young = create_role(&iam(&config), &format!("{name}-2")).await;
    let error = functions
        .update_function_configuration()
        .function_name(&name)
        .role(&young)
        .send()
        .await
        .expect_err("new role too young");
    assert!(
        error
            .into_service_error()
            .is_invalid_parameter_value_exception()
    );
    let calls = emulator.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.fault.as_deref() == Some("iam_propagation"))
    );
}

#[tokio::test]
async fn new_functions_are_pending_then_active() {
    let emulator =
        Emulator::start_with(EmulatorOptions::new().fault("lambda_pending_ms", json!(1000)));
    let config = emulator.sdk_config_without_retries();
    let functions = lambda(&config);
    let name = unique_name("pending");
    let role_arn = create_role(&iam(&config), &name).await;

    let created = create_function(&functions, &name, &role_arn)
        .await
        .expect("CreateFunction");
    assert_eq!(created.state(), Some(&State::Pending));
    assert_eq!(
        created.state_reason_code(),
        Some(&StateReasonCode::Creating)
    );
    let fetched = functions
        .get_function()
        .function_name(&name)
        .send()
        .await
        .expect("GetFunction");
    let configuration = fetched.configuration().expect("Configuration");
    assert_eq!(configuration.state(), Some(&State::Pending));

    let error = functions
        .update_function_configuration()
        .function_name(&name)
        .timeout(10)
        .send()
        .await
        .expect_err("update while Pending");
    let error = error.into_service_error();
    assert!(error.is_resource_conflict_exception(), "{error:?}");
    assert!(error.message().unwrap_or_default().contains("Pending"));
    let error = functions
        .add_permission()
        .function_name(&name)
        .statement_id("early")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .send()
        .await
        .expect_err("AddPermission while Pending");
    assert!(error.into_service_error().is_resource_conflict_exception());

    functions
        .wait_until_function_active_v2()
        .function_name(&name)
        .wait(Duration::from_secs(20))
        .await
        .expect("the function becomes Active");
    functions
        .update_function_configuration()
        .function_name(&name)
        .timeout(10)
        .send()
        .await
        .expect("update once Active");
}

#[tokio::test]
async fn updates_are_in_progress_then_successful() {
    let emulator =
        Emulator::start_with(EmulatorOptions::new().fault("lambda_update_ms", json!(1000)));
    let config = emulator.sdk_config_without_retries();
    let functions = lambda(&config);
    let name = unique_name("updating");
    let role_arn = create_role(&iam(&config), &name).await;
    let function_arn = create_function(&functions, &name, &role_arn)
        .await
        .expect("CreateFunction")
        .function_arn()
        .expect("FunctionArn")
        .to_owned();

    let updated = functions
        .update_function_configuration()
        .function_name(&name)
        .timeout(10)
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    assert_eq!(
        updated.last_update_status(),
        Some(&LastUpdateStatus::InProgress)
    );
    assert_eq!(updated.state(), Some(&State::Active));

    let error = functions
        .update_function_code()
        .function_name(&name)
        .zip_file(empty_zip())
        .send()
        .await
        .expect_err("second update while InProgress");
    let error = error.into_service_error();
    assert!(error.is_resource_conflict_exception(), "{error:?}");
    assert_eq!(
        error.message(),
        Some(
            format!(
                "The operation cannot be performed at this time. \
                 An update is in progress for resource: {function_arn}"
            )
            .as_str()
        )
    );

    functions
        .wait_until_function_updated_v2()
        .function_name(&name)
        .wait(Duration::from_secs(20))
        .await
        .expect("the update completes");
    let code = functions
        .update_function_code()
        .function_name(&name)
        .zip_file(empty_zip())
        .send()
        .await
        .expect("update once Successful");
    assert_eq!(
        code.last_update_status(),
        Some(&LastUpdateStatus::InProgress)
    );
}

#[tokio::test]
async fn updates_are_conditional_on_the_revision_id() {
    let emulator = Emulator::shared();
    let config = emulator.sdk_config_without_retries();
    let functions = lambda(&config);
    let name = unique_name("revisions");
    let role_arn = create_role(&iam(&config), &name).await;
    create_function(&functions, &name, &role_arn)
        .await
        .expect("CreateFunction");
    let read = |f: &aws_sdk_lambda::Client| {
        let f = f.clone();
        let name = name.clone();
        async move {
            f.get_function_configuration()
                .function_name(&name)
                .send()
                .await
                .expect("GetFunctionConfiguration")
                .revision_id()
                .expect("RevisionId")
                .to_owned()
        }
    };
    let first = read(&functions).await;
    functions
        .wait_until_function_updated_v2()
        .function_name(&name)
        .wait(Duration::from_secs(20))
        .await
        .expect("active");
    let updated = functions
        .update_function_code()
        .function_name(&name)
        .zip_file(empty_zip())
        .revision_id(&first)
        .send()
        .await
        .expect("an update naming the current revision");
    let second = read(&functions).await;
    assert_ne!(first, second, "an update makes a new revision");
    assert_eq!(updated.revision_id(), Some(second.as_str()));

    functions
        .wait_until_function_updated_v2()
        .function_name(&name)
        .wait(Duration::from_secs(20))
        .await
        .expect("updated");
    let error = functions
        .update_function_code()
        .function_name(&name)
        .zip_file(empty_zip())
        .revision_id(&first)
        .send()
        .await
        .expect_err("an update naming an old revision");
    let error = error.into_service_error();
    assert!(error.is_precondition_failed_exception(), "{error:?}");
    assert_eq!(
        read(&functions).await,
        second,
        "a refused update changes nothing"
    );
}

#[tokio::test]
async fn api_gateway_rate_quota_throttles_bursts() {
    // The rate is lowered from AWS's 10/s so that even a slow machine makes
    // 60 calls faster than the bucket refills (the profile test checks the
    // real values).
    let emulator = Emulator::start_with(
        EmulatorOptions::new()
            .fault("quotas", json!(true))
            .fault("apigw_rate", json!(2))
            .fault("apigw_burst", json!(40)),
    );
    let config = emulator.sdk_config_without_retries();
    let client = apigw(&config);
    let started = Instant::now();
    let mut throttled = 0;
    let mut succeeded = 0;
    for _ in 0..60 {
        match client.get_apis().send().await {
            Ok(_) => succeeded += 1,
            Err(error) => {
                assert!(
                    error
                        .as_service_error()
                        .is_some_and(|e| e.is_too_many_requests_exception()),
                    "{error:?}"
                );
                throttled += 1;
            }
        }
    }
    let refilled = (started.elapsed().as_secs_f64() * 2.0).ceil() as i32;
    assert!(
        throttled > 0,
        "60 calls within {:?} all passed",
        started.elapsed()
    );
    assert!(
        succeeded >= 40 && succeeded <= 40 + refilled,
        "{succeeded} succeeded in {:?}",
        started.elapsed()
    );
    let quota_faults = emulator
        .calls()
        .iter()
        .filter(|c| c.fault.as_deref() == Some("quota") && c.status == 429)
        .count();
    assert_eq!(quota_faults, throttled);

    // The bucket refills at the configured rate.
    tokio::time::sleep(Duration::from_millis(600)).await;
    client.get_apis().send().await.expect("a token came back");
}

#[tokio::test]
async fn create_deployment_quota_allows_one_per_interval() {
    let emulator = Emulator::start_with(
        EmulatorOptions::new()
            .fault("quotas", json!(true))
            .fault("deployment_interval_s", json!(1)),
    );
    let config = emulator.sdk_config_without_retries();
    let client = apigw(&config);
    let api_id = create_deployable_api(&client, &unique_name("deploys")).await;
    client
        .create_deployment()
        .api_id(&api_id)
        .send()
        .await
        .expect("first CreateDeployment");
    let error = client
        .create_deployment()
        .api_id(&api_id)
        .send()
        .await
        .expect_err("second CreateDeployment within the interval");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_too_many_requests_exception())
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client
        .create_deployment()
        .api_id(&api_id)
        .send()
        .await
        .expect("CreateDeployment after the interval");
}

#[tokio::test]
async fn domain_name_quota_allows_one_per_interval() {
    let emulator = Emulator::start_with(
        EmulatorOptions::new()
            .fault("quotas", json!(true))
            .fault("domain_interval_s", json!(1)),
    );
    let config = emulator.sdk_config_without_retries();
    let client = apigw(&config);
    let domain = format!("{}.example.com", unique_name("quota"));
    let certificate_arn = issued_certificate(&acm(&config), &domain).await;
    client
        .create_domain_name()
        .domain_name(&domain)
        .domain_name_configurations(
            DomainNameConfiguration::builder()
                .certificate_arn(&certificate_arn)
                .endpoint_type(EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .expect("CreateDomainName");
    let error = client
        .delete_domain_name()
        .domain_name(&domain)
        .send()
        .await
        .expect_err("DeleteDomainName within the interval");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_too_many_requests_exception())
    );
    // Other API Gateway calls are not held back.
    client
        .get_domain_names()
        .send()
        .await
        .expect("GetDomainNames");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client
        .delete_domain_name()
        .domain_name(&domain)
        .send()
        .await
        .expect("DeleteDomainName after the interval");
}

#[tokio::test]
async fn random_throttling_is_typed_per_service_and_retried_by_the_sdk() {
    let emulator = Emulator::start_with(EmulatorOptions::new().fault("throttle_rate", json!(1.0)));
    let config = emulator.sdk_config_without_retries();

    let error = apigw(&config)
        .get_apis()
        .send()
        .await
        .expect_err("throttled");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_too_many_requests_exception())
    );
    let error = lambda(&config)
        .list_functions()
        .send()
        .await
        .expect_err("throttled");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_too_many_requests_exception())
    );
    let error = iam(&config)
        .list_roles()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(
        error.as_service_error().and_then(|e| e.code()),
        Some("Throttling")
    );
    let error = route53(&config)
        .list_hosted_zones()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(
        error.as_service_error().and_then(|e| e.code()),
        Some("Throttling")
    );
    let error = acm(&config)
        .list_certificates()
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(
        error.as_service_error().and_then(|e| e.code()),
        Some("ThrottlingException")
    );

    // The SDK's standard retry recognises them as throttling and retries.
    emulator.clear_calls();
    let retrying = emulator.sdk_config_with_retries(
        aws_config::retry::RetryConfig::standard()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(10)),
    );
    apigw(&retrying)
        .get_apis()
        .send()
        .await
        .expect_err("still throttled");
    assert_eq!(emulator.calls().len(), 3, "three attempts");

    // At rate p, roughly a share p fails; a seed makes the sequence repeatable.
    let run = || async {
        emulator.set_faults(json!({ "throttle_rate": 0.5, "seed": 7 }));
        let client = apigw(&config);
        let mut outcomes = Vec::new();
        for _ in 0..40 {
            outcomes.push(client.get_apis().send().await.is_ok());
        }
        outcomes
    };
    let first = run().await;
    let failures = first.iter().filter(|ok| !**ok).count();
    assert!(
        (8..=32).contains(&failures),
        "{failures} of 40 failed at p=0.5"
    );
    assert_eq!(run().await, first, "same seed, same sequence");
}

#[tokio::test]
async fn random_conflicts_hit_only_mutating_api_gateway_calls() {
    let emulator = Emulator::start_with(EmulatorOptions::new().fault("conflict_rate", json!(1.0)));
    let config = emulator.sdk_config_without_retries();
    let client = apigw(&config);
    let error = client
        .create_api()
        .name("conflicted")
        .protocol_type(ProtocolType::Websocket)
        .route_selection_expression("$request.body.action")
        .send()
        .await
        .expect_err("conflict");
    let error = error.into_service_error();
    assert!(error.is_conflict_exception());
    assert_eq!(
        error.message(),
        Some(
            "Unable to complete operation due to concurrent modification. Please try again later."
        )
    );
    client
        .get_apis()
        .send()
        .await
        .expect("reads are not conflicted");
    lambda(&config)
        .list_functions()
        .send()
        .await
        .expect("other services are not conflicted");
}

#[tokio::test]
async fn certificates_stay_pending_validation_for_the_configured_time() {
    let emulator = Emulator::start_with(
        EmulatorOptions::new()
            .fault("acm_pending_s", json!(2.0))
            .fault("acm_record_delay_s", json!(1.0)),
    );
    let config = emulator.sdk_config_without_retries();
    let certificates = acm(&config);
    let domain = format!("{}.example.com", unique_name("slowcert"));
    let started = Instant::now();
    let arn = certificates
        .request_certificate()
        .domain_name(&domain)
        .validation_method(ValidationMethod::Dns)
        .send()
        .await
        .expect("RequestCertificate")
        .certificate_arn()
        .expect("arn")
        .to_owned();
    // The certificate's age is below `started.elapsed()` and above
    // `requested.elapsed()`.
    let requested = Instant::now();
    let describe = || async {
        certificates
            .describe_certificate()
            .certificate_arn(&arn)
            .send()
            .await
            .expect("DescribeCertificate")
            .certificate()
            .cloned()
            .expect("Certificate")
    };
    // Each check is made only while its window is surely open, so a slow
    // machine skips a check rather than failing it.
    let early = describe().await;
    if started.elapsed() < Duration::from_millis(900) {
        assert_eq!(early.status(), Some(&CertificateStatus::PendingValidation));
        let option = &early.domain_validation_options()[0];
        assert!(option.resource_record().is_none(), "{option:?}");
    }
    let domain_error = apigw(&config)
        .create_domain_name()
        .domain_name(&domain)
        .domain_name_configurations(
            DomainNameConfiguration::builder()
                .certificate_arn(&arn)
                .endpoint_type(EndpointType::Regional)
                .build(),
        )
        .send()
        .await;
    if started.elapsed() < Duration::from_millis(1900) {
        let error = domain_error.expect_err("certificate not issued yet");
        assert!(
            error
                .as_service_error()
                .is_some_and(|e| e.is_bad_request_exception())
        );
    }

    tokio::time::sleep(Duration::from_millis(1100).saturating_sub(requested.elapsed())).await;
    let later = describe().await;
    if started.elapsed() < Duration::from_millis(1900) {
        assert_eq!(later.status(), Some(&CertificateStatus::PendingValidation));
    }
    assert!(
        later.domain_validation_options()[0]
            .resource_record()
            .is_some()
    );

    tokio::time::sleep(Duration::from_millis(2100).saturating_sub(requested.elapsed())).await;
    assert_eq!(describe().await.status(), Some(&CertificateStatus::Issued));
}

#[tokio::test]
async fn record_changes_stay_pending_for_the_configured_time() {
    let emulator =
        Emulator::start_with(EmulatorOptions::new().fault("route53_pending_s", json!(1.0)));
    let config = emulator.sdk_config_without_retries();
    let dns = route53(&config);
    let name = unique_name("pendingdns");
    let zone_id = dns
        .create_hosted_zone()
        .name(format!("{name}.example.com"))
        .caller_reference(&name)
        .send()
        .await
        .expect("CreateHostedZone")
        .hosted_zone()
        .expect("zone")
        .id()
        .to_owned();
    let changed = Instant::now();
    let change = dns
        .change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            ChangeBatch::builder()
                .changes(cname_change(
                    &format!("_x.{name}.example.com"),
                    "validation.example.com",
                ))
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .expect("ChangeResourceRecordSets");
    let answered = Instant::now();
    let info = change.change_info().expect("ChangeInfo");
    assert_eq!(info.status(), &ChangeStatus::Pending);
    let status = || async {
        dns.get_change()
            .id(info.id())
            .send()
            .await
            .expect("GetChange")
            .change_info()
            .map(|c| c.status().clone())
    };
    let before = status().await;
    if changed.elapsed() < Duration::from_millis(900) {
        assert_eq!(before, Some(ChangeStatus::Pending));
    }
    tokio::time::sleep(Duration::from_millis(1100).saturating_sub(answered.elapsed())).await;
    assert_eq!(status().await, Some(ChangeStatus::Insync));
}

// -- the control endpoint --------------------------------------------------------------

#[tokio::test]
async fn call_log_records_every_aws_request() {
    let emulator = Emulator::start();
    let config = emulator.sdk_config_without_retries();
    let client = apigw(&config);
    let name = unique_name("log");
    create_websocket_api(&client, &name).await;
    client.get_apis().send().await.expect("GetApis");
    lambda(&config)
        .get_function()
        .function_name("missing")
        .send()
        .await
        .expect_err("no such function");
    emulator.set_faults(json!({ "throttle_rate": 1.0 }));
    iam(&config)
        .list_roles()
        .send()
        .await
        .expect_err("throttled");
    emulator.faults();

    let calls = emulator.calls();
    let summary: Vec<_> = calls
        .iter()
        .map(|c| {
            (
                c.service.as_str(),
                c.operation.as_str(),
                c.mutating,
                c.status,
                c.fault.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("apigateway", "CreateApi", true, 200, None),
            ("apigateway", "GetApis", false, 200, None),
            ("lambda", "GetFunction", false, 404, None),
            ("iam", "ListRoles", false, 400, Some("throttle")),
        ],
        "control calls are not logged"
    );
    assert_eq!(
        calls.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    assert!(calls.windows(2).all(|w| w[0].time <= w[1].time));

    emulator.clear_calls();
    assert!(emulator.calls().is_empty());
}

#[tokio::test]
async fn reset_forgets_resources_and_restores_launch_faults() {
    let emulator = Emulator::start_with(EmulatorOptions::new().profile("quotas").latency_ms(5));
    let config = emulator.sdk_config_without_retries();
    let client = apigw(&config);
    create_websocket_api(&client, &unique_name("reset")).await;
    emulator.set_faults(json!({ "throttle_rate": 0.5, "page_size": 7 }));

    emulator.reset();
    let faults = emulator.faults();
    assert_eq!(faults["quotas"], json!(true));
    assert_eq!(faults["latency_ms"], json!(5));
    assert_eq!(faults["throttle_rate"], json!(0.0));
    assert_eq!(faults["page_size"], json!(2));
    assert!(emulator.calls().is_empty());
    let apis = client.get_apis().send().await.expect("GetApis");
    assert!(apis.items().is_empty());
}

#[tokio::test]
async fn profiles_set_every_fault_at_once() {
    let emulator = Emulator::start_with(EmulatorOptions::new().profile("realistic"));
    let faults = emulator.faults();
    assert_eq!(faults["iam_propagation_s"], json!(3.0));
    assert_eq!(faults["lambda_pending_ms"], json!(500));
    assert_eq!(faults["lambda_update_ms"], json!(500));
    assert_eq!(faults["quotas"], json!(true));
    assert_eq!(faults["apigw_rate"], json!(10.0));
    assert_eq!(faults["apigw_burst"], json!(40));
    assert_eq!(faults["deployment_interval_s"], json!(5.0));
    assert_eq!(faults["domain_interval_s"], json!(30.0));
    assert_eq!(faults["throttle_rate"], json!(0.05));

    let none = emulator.apply_profile("none");
    assert_eq!(none["quotas"], json!(false));
    assert_eq!(none["iam_propagation_s"], json!(0.0));
    let mixed = emulator.set_faults(json!({ "profile": "realistic", "iam_propagation_s": 1 }));
    assert_eq!(mixed["iam_propagation_s"], json!(1.0));
    assert_eq!(mixed["quotas"], json!(true));
    assert!(
        emulator.try_set_faults(json!({ "latency": 5 })).is_err(),
        "unknown names are refused"
    );
    assert!(
        emulator
            .try_set_faults(json!({ "throttle_rate": 2 }))
            .is_err()
    );
}

#[tokio::test]
async fn emulator_stops_when_its_stdin_closes() {
    let emulator = Emulator::start();
    let port = emulator
        .endpoint_url()
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let status = emulator.stop(Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "exited by itself: {status:?}"
    );
    assert!(
        std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err(),
        "nothing listens any more"
    );
}

// -- the issue's acceptance scenario ---------------------------------------------------

/// With the `realistic` profile, a role followed at once by a function fails
/// the way AWS does, and the same call succeeds when retried.
#[tokio::test]
async fn realistic_profile_role_then_function_fails_then_succeeds_on_retry() {
    let emulator = Emulator::start_with(EmulatorOptions::new().profile("realistic"));
    // The SDK's own retries stay on, as in a plain script: they absorb the
    // profile's random throttling, but not the propagation error.
    let config = emulator.sdk_config();
    let functions = lambda(&config);
    let name = unique_name("realistic");
    let started = Instant::now();
    let role_arn = create_role(&iam(&config), &name).await;

    let first = create_function(&functions, &name, &role_arn)
        .await
        .expect_err("a role of a few milliseconds cannot be assumed");
    let first = first.into_service_error();
    assert!(first.is_invalid_parameter_value_exception(), "{first:?}");
    assert_eq!(first.message(), Some(ROLE_NOT_ASSUMABLE));

    let created = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        match create_function(&functions, &name, &role_arn).await {
            Ok(created) => break created,
            Err(error) => {
                let error = error.into_service_error();
                assert!(error.is_invalid_parameter_value_exception(), "{error:?}");
                assert!(
                    started.elapsed() < Duration::from_secs(15),
                    "never succeeded"
                );
            }
        }
    };
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "accepted a role younger than 3 s: {:?}",
        started.elapsed()
    );
    assert_eq!(created.state(), Some(&State::Pending));
    functions
        .wait_until_function_active_v2()
        .function_name(&name)
        .wait(Duration::from_secs(20))
        .await
        .expect("the function becomes Active");
}
