//! Tests of the test bed's function and API settings (tests/emulator, issue
//! 15): Lambda's tracing, ephemeral storage, KMS key and VPC settings and the
//! role permissions AWS checks for them, reserved and provisioned
//! concurrency, versions and aliases, resource policies per qualifier, IAM
//! managed policies and permissions boundaries, API Gateway integration
//! timeouts and WebSocket access-log formats, and SSM parameters (through
//! boto3: the crate has no SSM client). Everything round-trips through the AWS
//! SDK for Rust, so the shapes really parse.
//!
//! Round-trip tests share one emulator and name what they create with
//! `unique_name`, so they run in parallel; the `provisioned_ready_ms` test
//! starts its own.

mod support;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    EphemeralStorage, FunctionCode, FunctionConfiguration, ProvisionedConcurrencyStatusEnum,
    Runtime, TracingConfig, TracingMode, VpcConfig,
};
use serde_json::{Value, json};
use support::emulator::{ACCOUNT_ID, REGION};
use support::{Emulator, EmulatorOptions, unique_name};

const ASSUME_ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const XRAY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["xray:PutTraceSegments","xray:PutTelemetryRecords"],"Resource":"*"}]}"#;
const VPC_MANAGED: &str = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole";
const S3_READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const NO_ENI: &str =
    "The provided execution role does not have permissions to call CreateNetworkInterface on EC2";
const NO_XRAY: &str =
    "The provided execution role does not have permissions to call PutTraceSegments on XRAY";

// -- helpers --------------------------------------------------------------------

fn lambda(config: &aws_config::SdkConfig) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(config)
}

fn iam(config: &aws_config::SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(config)
}

fn apigw(config: &aws_config::SdkConfig) -> aws_sdk_apigatewayv2::Client {
    aws_sdk_apigatewayv2::Client::new(config)
}

fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}")
}

/// The smallest valid zip archive (no entries): Lambda only needs bytes.
fn empty_zip() -> Blob {
    let mut bytes = b"PK\x05\x06".to_vec();
    bytes.extend([0u8; 18]);
    Blob::new(bytes)
}

async fn create_role(config: &aws_config::SdkConfig, name: &str) -> String {
    iam(config)
        .create_role()
        .role_name(name)
        .assume_role_policy_document(ASSUME_ROLE_POLICY)
        .send()
        .await
        .expect("CreateRole")
        .role()
        .expect("CreateRole returns the role")
        .arn()
        .to_owned()
}

async fn attach(config: &aws_config::SdkConfig, role: &str, policy_arn: &str) {
    iam(config)
        .attach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send()
        .await
        .expect("AttachRolePolicy");
}

async fn put_inline(config: &aws_config::SdkConfig, role: &str, name: &str, document: &str) {
    iam(config)
        .put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(document)
        .send()
        .await
        .expect("PutRolePolicy");
}

/// A role allowed everything that VPC access and active tracing need.
async fn capable_role(config: &aws_config::SdkConfig, name: &str) -> String {
    let arn = create_role(config, name).await;
    attach(config, name, VPC_MANAGED).await;
    put_inline(config, name, "xray", XRAY_POLICY).await;
    arn
}

fn create_request(
    config: &aws_config::SdkConfig,
    name: &str,
    role_arn: &str,
) -> aws_sdk_lambda::operation::create_function::builders::CreateFunctionFluentBuilder {
    lambda(config)
        .create_function()
        .function_name(name)
        .runtime(Runtime::Nodejs20x)
        .handler("index.handler")
        .role(role_arn)
        .code(FunctionCode::builder().zip_file(empty_zip()).build())
}

/// A plain function with a role of its own (named like the function).
async fn plain_function(config: &aws_config::SdkConfig, name: &str) {
    let role = create_role(config, name).await;
    create_request(config, name, &role)
        .send()
        .await
        .expect("CreateFunction");
}

fn vpc(subnets: &[&str], groups: &[&str]) -> VpcConfig {
    VpcConfig::builder()
        .set_subnet_ids(Some(subnets.iter().map(|s| s.to_string()).collect()))
        .set_security_group_ids(Some(groups.iter().map(|s| s.to_string()).collect()))
        .build()
}

fn tracing(mode: TracingMode) -> TracingConfig {
    TracingConfig::builder().mode(mode).build()
}

fn storage(size: i32) -> EphemeralStorage {
    EphemeralStorage::builder()
        .size(size)
        .build()
        .expect("EphemeralStorage")
}

/// The members this file checks of any answer that carries a function
/// configuration (CreateFunction, UpdateFunctionConfiguration,
/// GetFunctionConfiguration, ...), as a `FunctionConfiguration`.
macro_rules! configuration_of {
    ($out:expr) => {{
        let out = &$out;
        FunctionConfiguration::builder()
            .set_description(out.description().map(str::to_owned))
            .set_tracing_config(out.tracing_config().cloned())
            .set_ephemeral_storage(out.ephemeral_storage().cloned())
            .set_kms_key_arn(out.kms_key_arn().map(str::to_owned))
            .set_vpc_config(out.vpc_config().cloned())
            .set_function_arn(out.function_arn().map(str::to_owned))
            .set_version(out.version().map(str::to_owned))
            .set_revision_id(out.revision_id().map(str::to_owned))
            .build()
    }};
}

/// The settings of a configuration that this file is about.
#[derive(Debug, PartialEq)]
struct Settings {
    description: String,
    tracing: String,
    storage: i32,
    kms: Option<String>,
    /// (subnets, security groups, VPC id) when Lambda reports a VpcConfig.
    vpc: Option<(Vec<String>, Vec<String>, String)>,
}

fn settings(config: &FunctionConfiguration) -> Settings {
    Settings {
        description: config.description().unwrap_or_default().to_owned(),
        tracing: config
            .tracing_config()
            .and_then(|t| t.mode())
            .map(|m| m.as_str().to_owned())
            .unwrap_or_default(),
        storage: config.ephemeral_storage().map(|e| e.size()).unwrap_or(-1),
        kms: config.kms_key_arn().map(str::to_owned),
        vpc: config.vpc_config().map(|v| {
            (
                v.subnet_ids().to_vec(),
                v.security_group_ids().to_vec(),
                v.vpc_id().unwrap_or_default().to_owned(),
            )
        }),
    }
}

async fn current(config: &aws_config::SdkConfig, name: &str) -> FunctionConfiguration {
    configuration_of!(
        lambda(config)
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
            .expect("GetFunctionConfiguration")
    )
}

/// Every function ListFunctions reports, across its pages, by name.
async fn listed(config: &aws_config::SdkConfig) -> HashMap<String, FunctionConfiguration> {
    lambda(config)
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListFunctions")
        .into_iter()
        .map(|f| (f.function_name().unwrap_or_default().to_owned(), f))
        .collect()
}

/// The statements of a resource policy: (Sid, Resource).
fn statements(policy: &str) -> Vec<(String, String)> {
    let policy: Value = serde_json::from_str(policy).expect("the policy is JSON");
    policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| {
            (
                s["Sid"].as_str().unwrap_or_default().to_owned(),
                s["Resource"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn policy_statements(
    config: &aws_config::SdkConfig,
    name: &str,
    qualifier: Option<&str>,
) -> Option<Vec<(String, String)>> {
    match lambda(config)
        .get_policy()
        .function_name(name)
        .set_qualifier(qualifier.map(str::to_owned))
        .send()
        .await
    {
        Ok(out) => Some(statements(
            out.policy().expect("GetPolicy returns the policy"),
        )),
        Err(e) => {
            let e = e.into_service_error();
            assert!(e.is_resource_not_found_exception(), "{e:?}");
            None
        }
    }
}

async fn add_permission(
    config: &aws_config::SdkConfig,
    function: &str,
    qualifier: Option<&str>,
    sid: &str,
) {
    lambda(config)
        .add_permission()
        .function_name(function)
        .set_qualifier(qualifier.map(str::to_owned))
        .statement_id(sid)
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .source_arn(format!(
            "arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:abcdef1234/*"
        ))
        .send()
        .await
        .expect("AddPermission");
}

async fn publish(config: &aws_config::SdkConfig, name: &str) -> String {
    lambda(config)
        .publish_version()
        .function_name(name)
        .send()
        .await
        .expect("PublishVersion")
        .version()
        .expect("PublishVersion returns the version")
        .to_owned()
}

// -- function settings ------------------------------------------------------------

#[tokio::test]
async fn function_settings_round_trip_through_create_update_get_and_list() {
    let config = Emulator::shared().sdk_config();
    let name = unique_name("fnset");
    let plain = unique_name("fnplain");
    let role = capable_role(&config, &name).await;
    let kms = format!("arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab");

    // A function given nothing has AWS's defaults and no VpcConfig.
    plain_function(&config, &plain).await;
    let defaults = Settings {
        description: String::new(),
        tracing: "PassThrough".into(),
        storage: 512,
        kms: None,
        vpc: None,
    };
    assert_eq!(settings(&current(&config, &plain).await), defaults);

    let created = create_request(&config, &name, &role)
        .description("chat handler")
        .tracing_config(tracing(TracingMode::Active))
        .ephemeral_storage(storage(1024))
        .kms_key_arn(&kms)
        .vpc_config(vpc(&["subnet-0a1", "subnet-0b2"], &["sg-0c3"]))
        .send()
        .await
        .expect("CreateFunction with every setting");
    let created = configuration_of!(created);
    let in_vpc = settings(&created);
    let (subnets, groups, vpc_id) = in_vpc.vpc.clone().expect("a VpcConfig");
    assert_eq!(subnets, ["subnet-0a1", "subnet-0b2"]);
    assert_eq!(groups, ["sg-0c3"]);
    assert!(vpc_id.starts_with("vpc-"), "{vpc_id}");
    assert_eq!(
        (
            in_vpc.description.as_str(),
            in_vpc.tracing.as_str(),
            in_vpc.storage
        ),
        ("chat handler", "Active", 1024)
    );
    assert_eq!(in_vpc.kms.as_deref(), Some(kms.as_str()));

    // GetFunction, GetFunctionConfiguration and ListFunctions say the same.
    let got = lambda(&config)
        .get_function()
        .function_name(&name)
        .send()
        .await
        .expect("GetFunction");
    assert_eq!(
        settings(got.configuration().expect("configuration")),
        in_vpc
    );
    assert_eq!(settings(&current(&config, &name).await), in_vpc);
    let all = listed(&config).await;
    assert_eq!(settings(&all[&name]), in_vpc);
    assert_eq!(settings(&all[&plain]), defaults);

    // An update changes each of them; an empty VpcConfig leaves the VPC and
    // an empty KMSKeyArn goes back to Lambda's own key.
    let updated = lambda(&config)
        .update_function_configuration()
        .function_name(&name)
        .description("")
        .tracing_config(tracing(TracingMode::PassThrough))
        .ephemeral_storage(storage(10240))
        .kms_key_arn("")
        .vpc_config(vpc(&[], &[]))
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    let out_of_vpc = Settings {
        description: String::new(),
        tracing: "PassThrough".into(),
        storage: 10240,
        kms: None,
        vpc: Some((vec![], vec![], String::new())),
    };
    let updated = configuration_of!(updated);
    assert_eq!(settings(&updated), out_of_vpc);
    assert_eq!(settings(&current(&config, &name).await), out_of_vpc);

    // Back into a VPC, and a setting an update does not name is kept.
    lambda(&config)
        .update_function_configuration()
        .function_name(&name)
        .vpc_config(vpc(&["subnet-0d4"], &["sg-0e5"]))
        .send()
        .await
        .expect("UpdateFunctionConfiguration into a VPC");
    let back = settings(&current(&config, &name).await);
    assert_eq!(back.storage, 10240);
    let (subnets, groups, vpc_id) = back.vpc.expect("a VpcConfig");
    assert_eq!(
        (subnets, groups),
        (vec!["subnet-0d4".to_owned()], vec!["sg-0e5".to_owned()])
    );
    assert!(vpc_id.starts_with("vpc-"));
}

#[tokio::test]
async fn vpc_and_active_tracing_need_the_roles_permissions() {
    let config = Emulator::shared().sdk_config();
    let name = unique_name("fnperm");
    let role = create_role(&config, &name).await;

    // A role with no policy: refused, and nothing is created.
    let refused = create_request(&config, &name, &role)
        .vpc_config(vpc(&["subnet-0a1"], &["sg-0c3"]))
        .send()
        .await
        .expect_err("VPC access needs the ENI permissions")
        .into_service_error();
    assert!(
        refused.is_invalid_parameter_value_exception(),
        "{refused:?}"
    );
    assert_eq!(refused.message(), Some(NO_ENI));
    let refused = create_request(&config, &name, &role)
        .tracing_config(tracing(TracingMode::Active))
        .send()
        .await
        .expect_err("active tracing needs the X-Ray permissions")
        .into_service_error();
    assert!(
        refused.is_invalid_parameter_value_exception(),
        "{refused:?}"
    );
    assert_eq!(refused.message(), Some(NO_XRAY));
    let missing = lambda(&config)
        .get_function()
        .function_name(&name)
        .send()
        .await
        .expect_err("a refused CreateFunction creates nothing");
    assert!(
        missing
            .as_service_error()
            .is_some_and(|e| e.is_resource_not_found_exception())
    );

    // PassThrough tracing and no VPC need nothing.
    create_request(&config, &name, &role)
        .tracing_config(tracing(TracingMode::PassThrough))
        .send()
        .await
        .expect("CreateFunction without VPC or active tracing");
    let into_vpc = || {
        lambda(&config)
            .update_function_configuration()
            .function_name(&name)
            .vpc_config(vpc(&["subnet-0a1"], &["sg-0c3"]))
    };
    let refused = into_vpc()
        .send()
        .await
        .expect_err("an update into a VPC is checked too")
        .into_service_error();
    assert_eq!(refused.message(), Some(NO_ENI));
    assert_eq!(settings(&current(&config, &name).await).vpc, None);

    // An inline policy with only some of the ENI actions is not enough ...
    put_inline(
        &config,
        &name,
        "eni-create",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:CreateNetworkInterface","Resource":"*"}]}"#,
    )
    .await;
    let refused = into_vpc().send().await.expect_err("two actions missing");
    assert_eq!(
        refused.into_service_error().message(),
        Some(
            "The provided execution role does not have permissions to call \
             DescribeNetworkInterfaces on EC2"
        )
    );
    // ... AWS's managed VPC access policy is.
    attach(&config, &name, VPC_MANAGED).await;
    into_vpc()
        .send()
        .await
        .expect("VPC access with the managed policy");

    let active = || {
        lambda(&config)
            .update_function_configuration()
            .function_name(&name)
            .tracing_config(tracing(TracingMode::Active))
    };
    let refused = active().send().await.expect_err("no X-Ray permission yet");
    assert_eq!(refused.into_service_error().message(), Some(NO_XRAY));
    // A wildcard action counts.
    put_inline(
        &config,
        &name,
        "xray",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"xray:Put*","Resource":"*"}]}"#,
    )
    .await;
    active()
        .send()
        .await
        .expect("active tracing with xray:Put*");

    // A permissions boundary that does not allow the ENI actions takes them
    // away: a VPC change is refused again.
    iam(&config)
        .put_role_permissions_boundary()
        .role_name(&name)
        .permissions_boundary(S3_READ_ONLY)
        .send()
        .await
        .expect("PutRolePermissionsBoundary");
    let refused = lambda(&config)
        .update_function_configuration()
        .function_name(&name)
        .vpc_config(vpc(&["subnet-0f6"], &["sg-0c3"]))
        .send()
        .await
        .expect_err("the boundary does not allow the ENI actions");
    assert_eq!(refused.into_service_error().message(), Some(NO_ENI));
}

#[tokio::test]
async fn ephemeral_storage_and_tracing_mode_are_validated() {
    let config = Emulator::shared().sdk_config();
    let name = unique_name("fnvalid");
    plain_function(&config, &name).await;
    let update = || {
        lambda(&config)
            .update_function_configuration()
            .function_name(&name)
    };
    for (size, constraint) in [
        (256, "Member must have value greater than or equal to 512"),
        (10241, "Member must have value less than or equal to 10240"),
    ] {
        let refused = update()
            .ephemeral_storage(storage(size))
            .send()
            .await
            .expect_err("out of range")
            .into_service_error();
        assert_eq!(refused.code(), Some("ValidationException"));
        assert_eq!(
            refused.message().map(str::to_owned),
            Some(format!(
                "1 validation error detected: Value '{size}' at 'ephemeralStorage.size' failed \
                 to satisfy constraint: {constraint}"
            ))
        );
    }
    let refused = update()
        .tracing_config(tracing(TracingMode::from("Sometimes")))
        .send()
        .await
        .expect_err("unknown mode")
        .into_service_error();
    assert_eq!(refused.code(), Some("ValidationException"));
    assert_eq!(
        refused.message(),
        Some(
            "1 validation error detected: Value 'Sometimes' at 'tracingConfig.mode' failed to \
             satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]"
        )
    );
    let unchanged = settings(&current(&config, &name).await);
    assert_eq!(
        (unchanged.storage, unchanged.tracing.as_str()),
        (512, "PassThrough")
    );
}

// -- concurrency, versions, aliases, permissions ------------------------------------

#[tokio::test]
async fn reserved_concurrency_round_trips_and_shows_in_get_function() {
    let config = Emulator::shared().sdk_config();
    let name = unique_name("fnconc");
    plain_function(&config, &name).await;
    let reported = || async {
        let got = lambda(&config)
            .get_function()
            .function_name(&name)
            .send()
            .await
            .expect("GetFunction");
        got.concurrency()
            .and_then(|c| c.reserved_concurrent_executions())
    };
    assert_eq!(reported().await, None);

    for reserved in [5, 0] {
        let put = lambda(&config)
            .put_function_concurrency()
            .function_name(&name)
            .reserved_concurrent_executions(reserved)
            .send()
            .await
            .expect("PutFunctionConcurrency");
        assert_eq!(put.reserved_concurrent_executions(), Some(reserved));
        let got = lambda(&config)
            .get_function_concurrency()
            .function_name(&name)
            .send()
            .await
            .expect("GetFunctionConcurrency");
        assert_eq!(got.reserved_concurrent_executions(), Some(reserved));
        // 0 (the function is throttled) is reported too.
        assert_eq!(reported().await, Some(reserved));
    }

    lambda(&config)
        .delete_function_concurrency()
        .function_name(&name)
        .send()
        .await
        .expect("DeleteFunctionConcurrency");
    let got = lambda(&config)
        .get_function_concurrency()
        .function_name(&name)
        .send()
        .await
        .expect("GetFunctionConcurrency");
    assert_eq!(got.reserved_concurrent_executions(), None);
    assert_eq!(reported().await, None);
}

#[tokio::test]
async fn versions_are_published_on_change_and_aliases_round_trip() {
    let config = Emulator::shared().sdk_config();
    let name = unique_name("fnver");
    plain_function(&config, &name).await;
    let client = lambda(&config);

    assert_eq!(publish(&config, &name).await, "1");
    // Nothing changed: the same version again.
    assert_eq!(publish(&config, &name).await, "1");
    client
        .update_function_configuration()
        .function_name(&name)
        .description("second")
        .ephemeral_storage(storage(2048))
        .send()
        .await
        .expect("UpdateFunctionConfiguration");

    // PublishVersion's preconditions.
    let latest = current(&config, &name).await;
    let refused = client
        .publish_version()
        .function_name(&name)
        .code_sha256("not-the-code")
        .send()
        .await
        .expect_err("another CodeSha256")
        .into_service_error();
    assert!(
        refused.is_invalid_parameter_value_exception(),
        "{refused:?}"
    );
    assert!(
        refused
            .message()
            .is_some_and(|m| m.starts_with("CodeSHA256 (not-the-code) is different from current")),
        "{refused:?}"
    );
    let refused = client
        .publish_version()
        .function_name(&name)
        .revision_id("stale")
        .send()
        .await
        .expect_err("another RevisionId")
        .into_service_error();
    assert!(refused.is_precondition_failed_exception(), "{refused:?}");

    let second = client
        .publish_version()
        .function_name(&name)
        .revision_id(latest.revision_id().expect("a RevisionId"))
        .description("release 2")
        .send()
        .await
        .expect("PublishVersion");
    assert_eq!(second.version(), Some("2"));
    assert_eq!(
        second.function_arn(),
        Some(format!("{}:2", function_arn(&name)).as_str())
    );
    assert_eq!(second.description(), Some("release 2"));
    assert_ne!(second.revision_id(), latest.revision_id());
    // Publishing gives $LATEST a new revision.
    assert_ne!(
        current(&config, &name).await.revision_id(),
        latest.revision_id()
    );

    // Each version keeps the settings it was published with.
    let versions = client
        .list_versions_by_function()
        .function_name(&name)
        .send()
        .await
        .expect("ListVersionsByFunction");
    let summary: Vec<(String, i32)> = versions
        .versions()
        .iter()
        .map(|v| {
            (
                v.version().unwrap_or_default().to_owned(),
                v.ephemeral_storage().map(|e| e.size()).unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("$LATEST".to_owned(), 2048),
            ("1".to_owned(), 512),
            ("2".to_owned(), 2048)
        ]
    );

    // An alias, moved from version to version.
    let created = client
        .create_alias()
        .function_name(&name)
        .name("live")
        .function_version("1")
        .description("what API Gateway invokes")
        .send()
        .await
        .expect("CreateAlias");
    let alias_arn = format!("{}:live", function_arn(&name));
    assert_eq!(created.alias_arn(), Some(alias_arn.as_str()));
    assert_eq!(created.function_version(), Some("1"));
    let got = client
        .get_alias()
        .function_name(&name)
        .name("live")
        .send()
        .await
        .expect("GetAlias");
    assert_eq!(got.description(), Some("what API Gateway invokes"));
    assert_eq!(got.revision_id(), created.revision_id());
    let moved = client
        .update_alias()
        .function_name(&name)
        .name("live")
        .function_version("2")
        .revision_id(created.revision_id().expect("a RevisionId"))
        .send()
        .await
        .expect("UpdateAlias");
    assert_eq!(moved.function_version(), Some("2"));
    assert_ne!(moved.revision_id(), created.revision_id());
    let refused = client
        .update_alias()
        .function_name(&name)
        .name("live")
        .function_version("1")
        .revision_id(created.revision_id().expect("a RevisionId"))
        .send()
        .await
        .expect_err("a stale alias revision")
        .into_service_error();
    assert!(refused.is_precondition_failed_exception(), "{refused:?}");
    let aliases = client
        .list_aliases()
        .function_name(&name)
        .send()
        .await
        .expect("ListAliases");
    let names: Vec<_> = aliases
        .aliases()
        .iter()
        .map(|a| {
            (
                a.name().unwrap_or_default(),
                a.function_version().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(names, [("live", "2")]);

    // Through the alias, the function is the alias ARN at the alias's version.
    let got = client
        .get_function()
        .function_name(&name)
        .qualifier("live")
        .send()
        .await
        .expect("GetFunction live");
    let configuration = got.configuration().expect("configuration");
    assert_eq!(configuration.function_arn(), Some(alias_arn.as_str()));
    assert_eq!(configuration.version(), Some("2"));
    let by_arn = lambda(&config)
        .get_function_configuration()
        .function_name(&alias_arn)
        .send()
        .await
        .expect("GetFunctionConfiguration by alias ARN");
    assert_eq!(by_arn.function_arn(), Some(alias_arn.as_str()));
    assert_eq!(by_arn.description(), Some("release 2"));

    client
        .delete_alias()
        .function_name(&name)
        .name("live")
        .send()
        .await
        .expect("DeleteAlias");
    let gone = client
        .get_alias()
        .function_name(&name)
        .name("live")
        .send()
        .await
        .expect_err("deleted")
        .into_service_error();
    assert!(gone.is_resource_not_found_exception(), "{gone:?}");
}

#[tokio::test]
async fn update_function_code_with_publish_answers_the_new_version() {
    let config = Emulator::shared().sdk_config();
    let name = unique_name("fnpub");
    plain_function(&config, &name).await;
    let mut zip = b"PK\x05\x06".to_vec();
    zip.extend([0u8; 17]);
    zip.push(0);
    let published = lambda(&config)
        .update_function_code()
        .function_name(&name)
        .zip_file(Blob::new(zip))
        .publish(true)
        .send()
        .await
        .expect("UpdateFunctionCode with Publish");
    assert_eq!(published.version(), Some("1"));
    assert_eq!(
        published.function_arn(),
        Some(format!("{}:1", function_arn(&name)).as_str())
    );
    // Nothing changed since: PublishVersion gives the same version.
    assert_eq!(publish(&config, &name).await, "1");
}

#[tokio::test]
async fn permissions_are_kept_per_qualifier() {
    let config = Emulator::shared().sdk_config();
    let name = unique_name("fnpol");
    plain_function(&config, &name).await;
    assert_eq!(publish(&config, &name).await, "1");
    lambda(&config)
        .create_alias()
        .function_name(&name)
        .name("live")
        .function_version("1")
        .send()
        .await
        .expect("CreateAlias");
    let unqualified = function_arn(&name);
    let alias_arn = format!("{unqualified}:live");

    add_permission(&config, &name, None, "apigw").await;
    // The same statement id on the alias: another policy, no conflict.
    add_permission(&config, &name, Some("live"), "apigw").await;
    // The qualifier inside the function ARN is the same as Qualifier.
    add_permission(&config, &alias_arn, None, "apigw-auth").await;

    assert_eq!(
        policy_statements(&config, &name, None).await,
        Some(vec![("apigw".to_owned(), unqualified.clone())])
    );
    assert_eq!(
        policy_statements(&config, &name, Some("live")).await,
        Some(vec![
            ("apigw".to_owned(), alias_arn.clone()),
            ("apigw-auth".to_owned(), alias_arn.clone()),
        ])
    );
    assert_eq!(
        policy_statements(&config, &alias_arn, None).await,
        policy_statements(&config, &name, Some("live")).await
    );
    // The version the alias points to has a policy of its own (none).
    assert_eq!(policy_statements(&config, &name, Some("1")).await, None);

    lambda(&config)
        .remove_permission()
        .function_name(&name)
        .qualifier("live")
        .statement_id("apigw")
        .send()
        .await
        .expect("RemovePermission on the alias");
    assert_eq!(
        policy_statements(&config, &name, Some("live")).await,
        Some(vec![("apigw-auth".to_owned(), alias_arn.clone())])
    );
    assert_eq!(
        policy_statements(&config, &name, None).await,
        Some(vec![("apigw".to_owned(), unqualified)])
    );

    // A qualifier that does not exist.
    let refused = lambda(&config)
        .add_permission()
        .function_name(&name)
        .qualifier("staging")
        .statement_id("apigw")
        .action("lambda:InvokeFunction")
        .principal("apigateway.amazonaws.com")
        .send()
        .await
        .expect_err("no such alias")
        .into_service_error();
    assert!(refused.is_resource_not_found_exception(), "{refused:?}");

    // Deleting the alias deletes its policy: a new alias of that name starts empty.
    lambda(&config)
        .delete_alias()
        .function_name(&name)
        .name("live")
        .send()
        .await
        .expect("DeleteAlias");
    lambda(&config)
        .create_alias()
        .function_name(&name)
        .name("live")
        .function_version("1")
        .send()
        .await
        .expect("CreateAlias again");
    assert_eq!(policy_statements(&config, &name, Some("live")).await, None);
}

/// A function with version 1 and alias `live` on it, `reserved` reserved.
async fn function_with_alias(config: &aws_config::SdkConfig, name: &str, reserved: Option<i32>) {
    plain_function(config, name).await;
    if let Some(reserved) = reserved {
        lambda(config)
            .put_function_concurrency()
            .function_name(name)
            .reserved_concurrent_executions(reserved)
            .send()
            .await
            .expect("PutFunctionConcurrency");
    }
    assert_eq!(publish(config, name).await, "1");
    lambda(config)
        .create_alias()
        .function_name(name)
        .name("live")
        .function_version("1")
        .send()
        .await
        .expect("CreateAlias");
}

/// (status, requested, allocated, available) of an alias's configuration.
async fn provisioned(
    config: &aws_config::SdkConfig,
    name: &str,
    qualifier: &str,
) -> (ProvisionedConcurrencyStatusEnum, i32, i32, i32) {
    let got = lambda(config)
        .get_provisioned_concurrency_config()
        .function_name(name)
        .qualifier(qualifier)
        .send()
        .await
        .expect("GetProvisionedConcurrencyConfig");
    assert!(got.last_modified().is_some());
    (
        got.status().cloned().expect("a Status"),
        got.requested_provisioned_concurrent_executions()
            .unwrap_or(-1),
        got.allocated_provisioned_concurrent_executions()
            .unwrap_or(-1),
        got.available_provisioned_concurrent_executions()
            .unwrap_or(-1),
    )
}

#[tokio::test]
async fn provisioned_concurrency_applies_to_aliases_and_versions_only() {
    let config = Emulator::shared().sdk_config();
    let name = unique_name("fnprov");
    function_with_alias(&config, &name, Some(10)).await;
    let client = lambda(&config);
    let put = |qualifier: &str, executions: i32| {
        client
            .put_provisioned_concurrency_config()
            .function_name(&name)
            .qualifier(qualifier)
            .provisioned_concurrent_executions(executions)
    };

    let refused = put("$LATEST", 2)
        .send()
        .await
        .expect_err("$LATEST")
        .into_service_error();
    assert!(
        refused.is_invalid_parameter_value_exception(),
        "{refused:?}"
    );
    assert_eq!(
        refused.message(),
        Some("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
    );
    let refused = put("live", 11)
        .send()
        .await
        .expect_err("more than reserved")
        .into_service_error();
    assert_eq!(
        refused.message(),
        Some(
            "Requested Provisioned Concurrency should not be greater than the \
             reservedConcurrentExecution for function"
        )
    );
    let refused = put("staging", 1)
        .send()
        .await
        .expect_err("no such alias")
        .into_service_error();
    assert!(refused.is_resource_not_found_exception(), "{refused:?}");
    let refused = client
        .get_provisioned_concurrency_config()
        .function_name(&name)
        .qualifier("live")
        .send()
        .await
        .expect_err("none yet")
        .into_service_error();
    assert!(
        refused.is_provisioned_concurrency_config_not_found_exception(),
        "{refused:?}"
    );

    // Put answers IN_PROGRESS, as AWS does; with provisioned_ready_ms 0 it is
    // READY at once.
    let answer = put("live", 4)
        .send()
        .await
        .expect("PutProvisionedConcurrencyConfig");
    assert_eq!(
        answer.status(),
        Some(&ProvisionedConcurrencyStatusEnum::InProgress)
    );
    assert_eq!(
        answer.requested_provisioned_concurrent_executions(),
        Some(4)
    );
    assert_eq!(
        answer.allocated_provisioned_concurrent_executions(),
        Some(0)
    );
    assert_eq!(
        provisioned(&config, &name, "live").await,
        (ProvisionedConcurrencyStatusEnum::Ready, 4, 4, 4)
    );
    // The version behind the alias cannot have its own, nor share the reserve.
    let refused = put("1", 1)
        .send()
        .await
        .expect_err("the version is provisioned through its alias")
        .into_service_error();
    assert_eq!(refused.code(), Some("ResourceConflictException"));

    let list = client
        .list_provisioned_concurrency_configs()
        .function_name(&name)
        .send()
        .await
        .expect("ListProvisionedConcurrencyConfigs");
    let items: Vec<_> = list
        .provisioned_concurrency_configs()
        .iter()
        .map(|c| {
            (
                c.function_arn().unwrap_or_default().to_owned(),
                c.requested_provisioned_concurrent_executions(),
                c.status().cloned(),
            )
        })
        .collect();
    assert_eq!(
        items,
        [(
            format!("{}:live", function_arn(&name)),
            Some(4),
            Some(ProvisionedConcurrencyStatusEnum::Ready)
        )]
    );

    client
        .delete_provisioned_concurrency_config()
        .function_name(&name)
        .qualifier("live")
        .send()
        .await
        .expect("DeleteProvisionedConcurrencyConfig");
    let list = client
        .list_provisioned_concurrency_configs()
        .function_name(&name)
        .send()
        .await
        .expect("ListProvisionedConcurrencyConfigs");
    assert!(list.provisioned_concurrency_configs().is_empty());
    // Now the version may have one.
    put("1", 10).send().await.expect("on the version");
    assert_eq!(
        provisioned(&config, &name, "1").await,
        (ProvisionedConcurrencyStatusEnum::Ready, 10, 10, 10)
    );
}

#[tokio::test]
async fn provisioned_concurrency_is_in_progress_for_provisioned_ready_ms() {
    let emulator =
        Emulator::start_with(EmulatorOptions::new().fault("provisioned_ready_ms", json!(700)));
    assert_eq!(emulator.faults()["provisioned_ready_ms"], json!(700));
    let refused = emulator
        .try_set_faults(json!({"provisioned_ready_ms": -1}))
        .expect_err("negative");
    assert!(refused.contains("provisioned_ready_ms"), "{refused}");
    let config = emulator.sdk_config();
    let name = unique_name("fnready");
    function_with_alias(&config, &name, None).await;

    let started = Instant::now();
    lambda(&config)
        .put_provisioned_concurrency_config()
        .function_name(&name)
        .qualifier("live")
        .provisioned_concurrent_executions(3)
        .send()
        .await
        .expect("PutProvisionedConcurrencyConfig");
    assert_eq!(
        provisioned(&config, &name, "live").await,
        (ProvisionedConcurrencyStatusEnum::InProgress, 3, 0, 0)
    );
    let ready = loop {
        let state = provisioned(&config, &name, "live").await;
        if state.0 == ProvisionedConcurrencyStatusEnum::Ready {
            break state;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never READY");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(started.elapsed() >= Duration::from_millis(700));
    assert_eq!(ready, (ProvisionedConcurrencyStatusEnum::Ready, 3, 3, 3));

    // Moving the alias provisions the new version: IN_PROGRESS again.
    assert_eq!(publish(&config, &name).await, "1");
    lambda(&config)
        .update_function_configuration()
        .function_name(&name)
        .description("v2")
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    assert_eq!(publish(&config, &name).await, "2");
    lambda(&config)
        .update_alias()
        .function_name(&name)
        .name("live")
        .function_version("2")
        .send()
        .await
        .expect("UpdateAlias");
    assert_eq!(
        provisioned(&config, &name, "live").await.0,
        ProvisionedConcurrencyStatusEnum::InProgress
    );
}

// -- IAM ------------------------------------------------------------------------------

#[tokio::test]
async fn managed_policies_attach_and_boundaries_round_trip() {
    let config = Emulator::shared().sdk_config();
    let client = iam(&config);
    let name = unique_name("rolemgd");
    let bounded = unique_name("rolebnd");
    create_role(&config, &name).await;
    attach(&config, &name, S3_READ_ONLY).await;
    attach(&config, &name, VPC_MANAGED).await;

    let mut attached: Vec<(String, String)> = client
        .list_attached_role_policies()
        .role_name(&name)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListAttachedRolePolicies")
        .into_iter()
        .map(|p| {
            (
                p.policy_name().unwrap_or_default().to_owned(),
                p.policy_arn().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    attached.sort();
    assert_eq!(
        attached,
        [
            (
                "AWSLambdaVPCAccessExecutionRole".to_owned(),
                VPC_MANAGED.to_owned()
            ),
            ("AmazonS3ReadOnlyAccess".to_owned(), S3_READ_ONLY.to_owned()),
        ]
    );
    let policy = client
        .get_policy()
        .policy_arn(VPC_MANAGED)
        .send()
        .await
        .expect("GetPolicy on an AWS managed policy");
    assert_eq!(
        policy.policy().map(|p| p.path()),
        Some(Some("/service-role/"))
    );

    let refused = client
        .attach_role_policy()
        .role_name(&name)
        .policy_arn("arn:aws:iam::aws:policy/NoSuchPolicy")
        .send()
        .await
        .expect_err("no such managed policy")
        .into_service_error();
    assert!(refused.is_no_such_entity_exception(), "{refused:?}");
    assert_eq!(
        refused.message(),
        Some("Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.")
    );

    // DeleteRole is refused while policies are attached.
    let refused = client
        .delete_role()
        .role_name(&name)
        .send()
        .await
        .expect_err("policies attached")
        .into_service_error();
    assert!(refused.is_delete_conflict_exception(), "{refused:?}");
    for arn in [S3_READ_ONLY, VPC_MANAGED] {
        client
            .detach_role_policy()
            .role_name(&name)
            .policy_arn(arn)
            .send()
            .await
            .expect("DetachRolePolicy");
    }
    client
        .delete_role()
        .role_name(&name)
        .send()
        .await
        .expect("DeleteRole once detached");

    // Permissions boundaries: on CreateRole, put, replaced, deleted.
    let boundary = |role: &aws_sdk_iam::types::Role| {
        role.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_owned)
    };
    let created = client
        .create_role()
        .role_name(&bounded)
        .assume_role_policy_document(ASSUME_ROLE_POLICY)
        .permissions_boundary(VPC_MANAGED)
        .send()
        .await
        .expect("CreateRole with a boundary");
    assert_eq!(
        boundary(created.role().expect("role")).as_deref(),
        Some(VPC_MANAGED)
    );
    client
        .put_role_permissions_boundary()
        .role_name(&bounded)
        .permissions_boundary(S3_READ_ONLY)
        .send()
        .await
        .expect("PutRolePermissionsBoundary");
    let got = client
        .get_role()
        .role_name(&bounded)
        .send()
        .await
        .expect("GetRole");
    let role = got.role().expect("role");
    assert_eq!(boundary(role).as_deref(), Some(S3_READ_ONLY));
    assert_eq!(
        role.permissions_boundary()
            .and_then(|b| b.permissions_boundary_type())
            .map(|t| t.as_str()),
        Some("PermissionsBoundaryPolicy")
    );
    let missing = format!("arn:aws:iam::{ACCOUNT_ID}:policy/no-such-boundary");
    let refused = client
        .put_role_permissions_boundary()
        .role_name(&bounded)
        .permissions_boundary(&missing)
        .send()
        .await
        .expect_err("no such policy")
        .into_service_error();
    assert!(refused.is_no_such_entity_exception(), "{refused:?}");
    assert_eq!(
        refused.message().map(str::to_owned),
        Some(format!(
            "Scope ARN: {missing} does not exist or is not attachable."
        ))
    );
    let refused = client
        .create_role()
        .role_name(unique_name("rolenob"))
        .assume_role_policy_document(ASSUME_ROLE_POLICY)
        .permissions_boundary(&missing)
        .send()
        .await
        .expect_err("no such policy")
        .into_service_error();
    assert_eq!(refused.code(), Some("NoSuchEntity"));
    client
        .delete_role_permissions_boundary()
        .role_name(&bounded)
        .send()
        .await
        .expect("DeleteRolePermissionsBoundary");
    let got = client
        .get_role()
        .role_name(&bounded)
        .send()
        .await
        .expect("GetRole");
    assert_eq!(boundary(got.role().expect("role")), None);
}

// -- API Gateway ------------------------------------------------------------------------

async fn websocket_api(config: &aws_config::SdkConfig, name: &str) -> String {
    apigw(config)
        .create_api()
        .name(name)
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Websocket)
        .route_selection_expression("$request.body.action")
        .send()
        .await
        .expect("CreateApi")
        .api_id()
        .expect("ApiId")
        .to_owned()
}

#[tokio::test]
async fn integration_timeouts_default_to_29_seconds_and_are_bounded() {
    use aws_sdk_apigatewayv2::error::ProvideErrorMetadata as _;
    use aws_sdk_apigatewayv2::types::IntegrationType;

    let config = Emulator::shared().sdk_config();
    let client = apigw(&config);
    let api = websocket_api(&config, &unique_name("apitmo")).await;
    // An integration that invokes the alias `live`.
    let alias_uri = format!(
        "arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{}:live/invocations",
        function_arn("chat-dev-default")
    );
    let create = || {
        client
            .create_integration()
            .api_id(&api)
            .integration_type(IntegrationType::AwsProxy)
            .integration_uri(&alias_uri)
    };

    let default = create().send().await.expect("CreateIntegration");
    assert_eq!(default.timeout_in_millis(), Some(29000));
    assert_eq!(default.integration_uri(), Some(alias_uri.as_str()));
    let short = create()
        .timeout_in_millis(5000)
        .send()
        .await
        .expect("CreateIntegration with a timeout");
    assert_eq!(short.timeout_in_millis(), Some(5000));
    let short_id = short.integration_id().expect("IntegrationId").to_owned();

    for timeout in [49, 29001, 30000] {
        let refused = create()
            .timeout_in_millis(timeout)
            .send()
            .await
            .expect_err("out of range")
            .into_service_error();
        assert!(refused.is_bad_request_exception(), "{refused:?}");
        assert_eq!(
            refused.message(),
            Some("Timeout should be between 50 ms and 29000 ms")
        );
    }

    let updated = client
        .update_integration()
        .api_id(&api)
        .integration_id(&short_id)
        .timeout_in_millis(50)
        .send()
        .await
        .expect("UpdateIntegration");
    assert_eq!(updated.timeout_in_millis(), Some(50));
    let refused = client
        .update_integration()
        .api_id(&api)
        .integration_id(&short_id)
        .timeout_in_millis(29001)
        .send()
        .await
        .expect_err("out of range")
        .into_service_error();
    assert!(refused.is_bad_request_exception(), "{refused:?}");
    let got = client
        .get_integration()
        .api_id(&api)
        .integration_id(&short_id)
        .send()
        .await
        .expect("GetIntegration");
    assert_eq!(got.timeout_in_millis(), Some(50));
    assert_eq!(got.integration_uri(), Some(alias_uri.as_str()));

    // GetIntegrations (across its pages) reports both.
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_integrations()
            .api_id(&api)
            .set_next_token(token.take())
            .send()
            .await
            .expect("GetIntegrations");
        items.extend(page.items().iter().cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let mut timeouts: Vec<i32> = items
        .iter()
        .map(|i| {
            assert_eq!(i.integration_uri(), Some(alias_uri.as_str()));
            i.timeout_in_millis().unwrap_or(-1)
        })
        .collect();
    timeouts.sort();
    assert_eq!(timeouts, [50, 29000]);
}

#[tokio::test]
async fn websocket_access_log_formats_take_only_websocket_variables() {
    use aws_sdk_apigatewayv2::error::ProvideErrorMetadata as _;
    use aws_sdk_apigatewayv2::types::AccessLogSettings;

    let config = Emulator::shared().sdk_config();
    let client = apigw(&config);
    let api = websocket_api(&config, &unique_name("apilog")).await;
    let destination = format!("arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/apigateway/{api}");
    let settings = |format: &str| {
        AccessLogSettings::builder()
            .destination_arn(&destination)
            .format(format)
            .build()
    };

    let refused = client
        .create_stage()
        .api_id(&api)
        .stage_name("dev")
        .access_log_settings(settings(
            "$context.requestId $context.httpMethod $context.path $context.httpMethod",
        ))
        .send()
        .await
        .expect_err("HTTP-only variables")
        .into_service_error();
    assert!(refused.is_bad_request_exception(), "{refused:?}");
    assert_eq!(
        refused.message(),
        Some(
            "The following context variables are not supported: [$context.httpMethod, $context.path]"
        )
    );

    let good = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","eventType":"$context.eventType","routeKey":"$context.routeKey","status":"$context.status","connectionId":"$context.connectionId","tenant":"$context.authorizer.tenant","error":"$context.error.message","integrationError":"$context.integrationErrorMessage"}"#;
    let created = client
        .create_stage()
        .api_id(&api)
        .stage_name("dev")
        .access_log_settings(settings(good))
        .send()
        .await
        .expect("CreateStage with a WebSocket format");
    assert_eq!(
        created.access_log_settings().and_then(|s| s.format()),
        Some(good)
    );

    let refused = client
        .update_stage()
        .api_id(&api)
        .stage_name("dev")
        .access_log_settings(settings("$context.requestId $context.resourcePath"))
        .send()
        .await
        .expect_err("an HTTP-only variable")
        .into_service_error();
    assert_eq!(
        refused.message(),
        Some("The following context variables are not supported: [$context.resourcePath]")
    );
    let got = client
        .get_stage()
        .api_id(&api)
        .stage_name("dev")
        .send()
        .await
        .expect("GetStage");
    assert_eq!(
        got.access_log_settings().and_then(|s| s.format()),
        Some(good)
    );
}

// -- SSM (boto3) ----------------------------------------------------------------------------

#[test]
fn ssm_parameters_read_back_as_stored_through_boto3() {
    let emulator = Emulator::shared();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("tests/emulator/examples/ssm_parameters.py"))
        .arg(emulator.endpoint_url())
        .arg(format!("/{}", unique_name("params")))
        .output()
        .expect("run tests/emulator/examples/ssm_parameters.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("the script prints JSON");
    assert_eq!(report["problems"], json!([]), "{report:#}");
    assert_eq!(
        report["checked"].as_u64().map(|n| n > 5),
        Some(true),
        "{report:#}"
    );
}
