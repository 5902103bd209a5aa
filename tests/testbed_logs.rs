//! Tests of the test bed's function logs (tests/emulator, issue 14): Lambda's
//! `LoggingConfig`, CloudWatch Logs filter patterns and paging in
//! FilterLogEvents, log groups adopted from Lambda (tagging, retention),
//! the `lambda-logs` control endpoint that writes what Lambda logs, and the
//! FilterLogEvents quota. Everything round-trips through the AWS SDK for
//! Rust, so the shapes really parse.
//!
//! Round-trip tests share one emulator and name what they create with
//! `unique_name`, so they run in parallel; the quota test starts its own.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;
use aws_sdk_cloudwatchlogs::types::{FilteredLogEvent, InputLogEvent};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    ApplicationLogLevel, FunctionCode, LogFormat, LoggingConfig, Runtime, SystemLogLevel,
};
use serde_json::{Value, json};
use support::emulator::{ACCOUNT_ID, REGION};
use support::{Emulator, EmulatorOptions, unique_name};

const ASSUME_ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const TEXT_WITH_LEVEL: &str = "LogLevel is not supported when LogFormat is set to \"Text\". \
     Remove LogLevel from your request or change the LogFormat to \"JSON\" and try again.";

// -- helpers --------------------------------------------------------------------

fn lambda(config: &aws_config::SdkConfig) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(config)
}

fn logs(config: &aws_config::SdkConfig) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(config)
}

fn now_ms() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since_epoch.as_millis()).expect("milliseconds fit in i64")
}

/// The smallest valid zip archive (no entries): Lambda only needs bytes.
fn empty_zip() -> Blob {
    let mut bytes = b"PK\x05\x06".to_vec();
    bytes.extend([0u8; 18]);
    Blob::new(bytes)
}

async fn create_role(config: &aws_config::SdkConfig, name: &str) -> String {
    aws_sdk_iam::Client::new(config)
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

/// CreateFunction (with a role of its own) and its answer's LoggingConfig.
async fn create_function(
    config: &aws_config::SdkConfig,
    name: &str,
    logging: Option<LoggingConfig>,
) -> Result<
    Option<LoggingConfig>,
    aws_sdk_lambda::error::SdkError<
        aws_sdk_lambda::operation::create_function::CreateFunctionError,
    >,
> {
    let role_arn = create_role(config, &unique_name("role")).await;
    let created = lambda(config)
        .create_function()
        .function_name(name)
        .runtime(Runtime::Nodejs20x)
        .handler("index.handler")
        .role(role_arn)
        .code(FunctionCode::builder().zip_file(empty_zip()).build())
        .set_logging_config(logging)
        .send()
        .await?;
    Ok(created.logging_config().cloned())
}

fn json_logging(application: Option<ApplicationLogLevel>) -> LoggingConfig {
    LoggingConfig::builder()
        .log_format(LogFormat::Json)
        .set_application_log_level(application)
        .build()
}

/// (format, application level, system level, group) of a LoggingConfig.
fn summary(config: Option<&LoggingConfig>) -> (String, Option<String>, Option<String>, String) {
    let config = config.expect("the configuration carries a LoggingConfig");
    (
        config
            .log_format()
            .map(|f| f.as_str().to_owned())
            .unwrap_or_default(),
        config
            .application_log_level()
            .map(|l| l.as_str().to_owned()),
        config.system_log_level().map(|l| l.as_str().to_owned()),
        config.log_group().unwrap_or_default().to_owned(),
    )
}

fn text_summary(group: &str) -> (String, Option<String>, Option<String>, String) {
    ("Text".into(), None, None, group.into())
}

fn json_summary(
    application: &str,
    system: &str,
    group: &str,
) -> (String, Option<String>, Option<String>, String) {
    (
        "JSON".into(),
        Some(application.into()),
        Some(system.into()),
        group.into(),
    )
}

async fn current_logging(
    config: &aws_config::SdkConfig,
    name: &str,
) -> (String, Option<String>, Option<String>, String) {
    let got = lambda(config)
        .get_function_configuration()
        .function_name(name)
        .send()
        .await
        .expect("GetFunctionConfiguration");
    summary(got.logging_config())
}

async fn update_logging(
    config: &aws_config::SdkConfig,
    name: &str,
    logging: LoggingConfig,
) -> Result<
    (String, Option<String>, Option<String>, String),
    aws_sdk_lambda::error::SdkError<
        aws_sdk_lambda::operation::update_function_configuration::UpdateFunctionConfigurationError,
    >,
> {
    let updated = lambda(config)
        .update_function_configuration()
        .function_name(name)
        .logging_config(logging)
        .send()
        .await?;
    Ok(summary(updated.logging_config()))
}

/// A log group and one stream holding `messages`, one event per ms from `start`.
async fn group_with_events(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    stream: &str,
    start: i64,
    messages: &[&str],
) {
    client
        .create_log_group()
        .log_group_name(group)
        .send()
        .await
        .expect("CreateLogGroup");
    put_events(client, group, stream, start, messages).await;
}

async fn put_events(
    client: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    stream: &str,
    start: i64,
    messages: &[&str],
) {
    client
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
        .expect("CreateLogStream");
    let events = messages.iter().zip(start..).map(|(message, timestamp)| {
        InputLogEvent::builder()
            .timestamp(timestamp)
            .message(*message)
            .build()
            .expect("log event")
    });
    client
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events.collect()))
        .send()
        .await
        .expect("PutLogEvents");
}

/// Every event FilterLogEvents finds, following `nextToken` as a reader
/// would, and the size of each page.
async fn filter_all(
    request: aws_sdk_cloudwatchlogs::operation::filter_log_events::builders::FilterLogEventsFluentBuilder,
) -> Result<
    (Vec<FilteredLogEvent>, Vec<usize>),
    aws_sdk_cloudwatchlogs::error::SdkError<
        aws_sdk_cloudwatchlogs::operation::filter_log_events::FilterLogEventsError,
    >,
> {
    let mut events = Vec::new();
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = request.clone().set_next_token(token.take()).send().await?;
        pages.push(page.events().len());
        events.extend(page.events().iter().cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok((events, pages));
        }
    }
}

fn messages(events: &[FilteredLogEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| e.message().unwrap_or_default().to_owned())
        .collect()
}

// -- Lambda LoggingConfig ---------------------------------------------------------

#[tokio::test]
async fn logging_config_round_trips_with_aws_defaults() {
    let config = Emulator::shared().sdk_config();
    let text = unique_name("lgtext");
    let json = unique_name("lgjson");
    let text_group = format!("/aws/lambda/{text}");
    let json_group = format!("/aws/lambda/{json}");

    // Not given: Text and the default group, no levels.
    let created = create_function(&config, &text, None)
        .await
        .expect("CreateFunction");
    assert_eq!(summary(created.as_ref()), text_summary(&text_group));
    let got = lambda(&config)
        .get_function()
        .function_name(&text)
        .send()
        .await
        .expect("GetFunction");
    assert_eq!(
        summary(got.configuration().and_then(|c| c.logging_config())),
        text_summary(&text_group)
    );

    // JSON: the level not given defaults to INFO.
    let created = create_function(
        &config,
        &json,
        Some(json_logging(Some(ApplicationLogLevel::Warn))),
    )
    .await
    .expect("CreateFunction JSON");
    assert_eq!(
        summary(created.as_ref()),
        json_summary("WARN", "INFO", &json_group)
    );
    assert_eq!(
        current_logging(&config, &json).await,
        json_summary("WARN", "INFO", &json_group)
    );

    // ListFunctions reports it for every function (across its pages).
    let listed: HashMap<String, _> = lambda(&config)
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("ListFunctions")
        .into_iter()
        .map(|f| {
            let name = f.function_name().unwrap_or_default().to_owned();
            (name, summary(f.logging_config()))
        })
        .collect();
    assert_eq!(listed[&text], text_summary(&text_group));
    assert_eq!(listed[&json], json_summary("WARN", "INFO", &json_group));

    // Updates merge what they name: a level alone keeps JSON ...
    let error_level = LoggingConfig::builder()
        .application_log_level(ApplicationLogLevel::Error)
        .build();
    assert_eq!(
        update_logging(&config, &json, error_level)
            .await
            .expect("update level"),
        json_summary("ERROR", "INFO", &json_group)
    );
    // ... switching to Text drops the levels ...
    let to_text = LoggingConfig::builder().log_format(LogFormat::Text).build();
    assert_eq!(
        update_logging(&config, &json, to_text)
            .await
            .expect("to Text"),
        text_summary(&json_group)
    );
    // ... switching to JSON brings them back at INFO, the system level given ...
    let to_json = LoggingConfig::builder()
        .log_format(LogFormat::Json)
        .system_log_level(SystemLogLevel::Debug)
        .build();
    assert_eq!(
        update_logging(&config, &text, to_json)
            .await
            .expect("to JSON"),
        json_summary("INFO", "DEBUG", &text_group)
    );
    // ... and a custom group keeps the format.
    let custom = format!("/wsdeploy/{text}");
    let group_only = LoggingConfig::builder().log_group(&custom).build();
    assert_eq!(
        update_logging(&config, &text, group_only)
            .await
            .expect("custom group"),
        json_summary("INFO", "DEBUG", &custom)
    );
    assert_eq!(
        current_logging(&config, &text).await,
        json_summary("INFO", "DEBUG", &custom)
    );
}

#[tokio::test]
async fn logging_config_refuses_levels_with_text_and_unknown_values() {
    let config = Emulator::shared().sdk_config();
    let name = unique_name("lgbad");
    let group = format!("/aws/lambda/{name}");

    let text_with_level = LoggingConfig::builder()
        .log_format(LogFormat::Text)
        .application_log_level(ApplicationLogLevel::Info)
        .build();
    let refused = create_function(&config, &name, Some(text_with_level))
        .await
        .expect_err("levels need JSON")
        .into_service_error();
    assert!(
        refused.is_invalid_parameter_value_exception(),
        "{refused:?}"
    );
    assert_eq!(refused.message(), Some(TEXT_WITH_LEVEL));
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

    create_function(&config, &name, None)
        .await
        .expect("CreateFunction");
    // A level without a format on a Text function is Text with a level.
    let level_only = LoggingConfig::builder()
        .system_log_level(SystemLogLevel::Warn)
        .build();
    let refused = update_logging(&config, &name, level_only)
        .await
        .expect_err("Text with a level")
        .into_service_error();
    assert_eq!(refused.code(), Some("InvalidParameterValueException"));
    assert_eq!(refused.message(), Some(TEXT_WITH_LEVEL));

    let unknown = LoggingConfig::builder()
        .log_format(LogFormat::from("Yaml"))
        .build();
    let refused = update_logging(&config, &name, unknown)
        .await
        .expect_err("unknown format")
        .into_service_error();
    assert_eq!(refused.code(), Some("ValidationException"));
    assert_eq!(
        refused.message(),
        Some(
            "1 validation error detected: Value 'Yaml' at 'loggingConfig.logFormat' failed to \
             satisfy constraint: Member must satisfy enum value set: [JSON, Text]"
        )
    );
    let bad_group = LoggingConfig::builder().log_group("no spaces").build();
    let refused = update_logging(&config, &name, bad_group)
        .await
        .expect_err("invalid group name")
        .into_service_error();
    assert_eq!(refused.code(), Some("ValidationException"));
    assert_eq!(current_logging(&config, &name).await, text_summary(&group));
}

// -- FilterLogEvents ------------------------------------------------------------------

const EVENTS: [&str; 9] = [
    "ERROR WARN message",
    "ERROR message",
    "WARN message",
    "[INFO] Failed to process the request",
    "Exiting with ERRORCODE: -1",
    r#"{"level":"ERROR","latency":1500,"user":{"id":7},"path":"/chat/send"}"#,
    r#"{"level":"INFO","latency":20,"user":{"id":8},"path":"/chat/join","flag":true}"#,
    r#"{"level":"WARN","latency":500,"missing":null}"#,
    r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534"#,
];

/// Pattern -> indexes in EVENTS of the events it matches.
const PATTERNS: &[(&str, &[usize])] = &[
    ("", &[0, 1, 2, 3, 4, 5, 6, 7, 8]),
    // Unstructured text: case-sensitive terms, all required, anywhere.
    ("ERROR", &[0, 1, 4, 5]),
    ("error", &[]),
    ("ERROR WARN", &[0]),
    ("Failed request", &[3]),
    (r#""Failed to process the request""#, &[3]),
    ("?ERROR ?WARN", &[0, 1, 2, 4, 5, 7]),
    ("ERROR -WARN", &[1, 4, 5]),
    ("ERROR -Exiting", &[0, 1, 5]),
    ("-ERROR", &[2, 3, 6, 7, 8]),
    ("%ERR[O]RCODE%", &[4]),
    // JSON.
    (r#"{ $.level = "ERROR" }"#, &[5]),
    ("{ $.level = ERROR }", &[5]),
    (r#"{ $.level != "ERROR" }"#, &[6, 7]),
    ("{ $.latency > 1000 }", &[5]),
    ("{ $.latency <= 500 }", &[6, 7]),
    (r#"{ $.level = "ERROR" || $.latency = 20 }"#, &[5, 6]),
    (
        r#"{ ($.level = "INFO" || $.level = "WARN") && $.latency >= 500 }"#,
        &[7],
    ),
    ("{ $.user.id = 7 }", &[5]),
    (r#"{ $.path = "/chat/*" }"#, &[5, 6]),
    ("{ $.missing IS NULL }", &[7]),
    ("{ $.user NOT EXISTS }", &[7]),
    ("{ $.flag IS TRUE }", &[6]),
    // Space-delimited.
    (
        "[ip, id, user, timestamp, request, status_code = 4*, bytes]",
        &[8],
    ),
    ("[..., status_code = 404, bytes > 1000]", &[8]),
];

#[tokio::test]
async fn filter_patterns_select_events_as_cloudwatch_does() {
    let config = Emulator::shared().sdk_config();
    let client = logs(&config);
    let group = format!("/wsdeploy/{}", unique_name("patterns"));
    let start = now_ms() - 60_000;
    group_with_events(&client, &group, "s1", start, &EVENTS).await;

    for (pattern, expected) in PATTERNS {
        let request = client
            .filter_log_events()
            .log_group_name(&group)
            .filter_pattern(*pattern);
        let (found, _) = filter_all(request)
            .await
            .unwrap_or_else(|error| panic!("pattern {pattern:?}: {error:?}"));
        let wanted: Vec<String> = expected.iter().map(|&i| EVENTS[i].to_owned()).collect();
        assert_eq!(messages(&found), wanted, "pattern {pattern:?}");
    }
}

#[tokio::test]
async fn invalid_filter_patterns_are_refused() {
    let config = Emulator::shared().sdk_config();
    let client = logs(&config);
    let group = format!("/wsdeploy/{}", unique_name("badpat"));
    client
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("CreateLogGroup");

    let cases = [
        (
            "user@example.com",
            "Invalid filter pattern: Invalid character(s) in term '@'",
        ),
        (
            r#""""#,
            r#"Invalid filter pattern: Invalid character(s) in term '""'"#,
        ),
        ("{ $.level = }", "Invalid filter pattern"),
        ("{ $.latency > fast }", "Invalid filter pattern"),
        (r#"{ $.level = "ERROR""#, "Invalid filter pattern"),
    ];
    for (pattern, message) in cases {
        let refused = client
            .filter_log_events()
            .log_group_name(&group)
            .filter_pattern(pattern)
            .send()
            .await
            .expect_err(pattern)
            .into_service_error();
        assert!(
            refused.is_invalid_parameter_exception(),
            "{pattern}: {refused:?}"
        );
        assert_eq!(refused.message(), Some(message), "{pattern}");
    }
}

#[tokio::test]
async fn filter_log_events_pages_interleaves_and_bounds_time_inclusively() {
    let config = Emulator::shared().sdk_config();
    let client = logs(&config);
    let group = format!("/wsdeploy/{}", unique_name("paging"));
    let start = now_ms() - 60_000;
    // Two streams whose events alternate in time.
    group_with_events(&client, &group, "a", start, &["a0", "a1", "a2"]).await;
    put_events(&client, &group, "b", start + 100, &["b0", "b1"]).await;
    put_events(&client, &group, "c", start - 100, &["c0"]).await;

    // One page by default (the emulator's `events_page_size` is moto's
    // 10,000), events in time order across streams.
    let all = client.filter_log_events().log_group_name(&group);
    let (events, pages) = filter_all(all.clone()).await.expect("FilterLogEvents");
    assert_eq!(messages(&events), ["c0", "a0", "a1", "a2", "b0", "b1"]);
    assert_eq!(pages, [6]);
    // Pages of 2 when asked, still in time order.
    let (events, pages) = filter_all(all.clone().limit(2)).await.expect("limit 2");
    assert_eq!(messages(&events), ["c0", "a0", "a1", "a2", "b0", "b1"]);
    assert_eq!(pages, [2, 2, 2]);
    assert_eq!(events[4].log_stream_name(), Some("b"));
    assert!(
        events
            .windows(2)
            .all(|w| w[0].timestamp() <= w[1].timestamp())
    );

    // A smaller limit wins; `interleaved: false` is ignored, as on AWS.
    #[allow(deprecated)]
    let one = all.clone().limit(1).interleaved(false);
    let (events, pages) = filter_all(one).await.expect("limit 1");
    assert_eq!(messages(&events).len(), 6);
    assert_eq!(pages, [1; 6]);

    // startTime and endTime are both inclusive.
    let window = all.clone().start_time(start + 1).end_time(start + 100);
    let (events, _) = filter_all(window).await.expect("time window");
    assert_eq!(messages(&events), ["a1", "a2", "b0"]);

    let refused = all
        .clone()
        .limit(0)
        .send()
        .await
        .expect_err("limit 0")
        .into_service_error();
    assert!(refused.is_invalid_parameter_exception(), "{refused:?}");
}

// -- log groups Lambda creates, adopted ---------------------------------------------

#[tokio::test]
async fn log_group_created_by_lambda_can_be_adopted() {
    let emulator = Emulator::shared();
    let config = emulator.sdk_config();
    let client = logs(&config);
    let name = unique_name("adopt");
    let group = format!("/aws/lambda/{name}");
    let group_arn = format!("arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}");
    create_function(&config, &name, None)
        .await
        .expect("CreateFunction");
    emulator.lambda_logs(&name, &["hello"]);

    let describe = || client.describe_log_groups().log_group_name_prefix(&group);
    let found = describe().send().await.expect("DescribeLogGroups");
    let [described] = found.log_groups() else {
        panic!("one group: {found:?}")
    };
    assert_eq!(described.log_group_name(), Some(group.as_str()));
    assert_eq!(described.log_group_arn(), Some(group_arn.as_str()));
    assert_eq!(described.arn(), Some(format!("{group_arn}:*").as_str()));
    assert_eq!(
        described.retention_in_days(),
        None,
        "Lambda's group never expires"
    );
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&group_arn)
        .send()
        .await
        .expect("ListTagsForResource");
    assert!(
        tags.tags().is_none_or(HashMap::is_empty),
        "Lambda's group is untagged"
    );

    // Adopt it: tag it and give it a retention.
    client
        .tag_resource()
        .resource_arn(&group_arn)
        .tags("wsdeploy:app", &name)
        .send()
        .await
        .expect("TagResource");
    client
        .put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(14)
        .send()
        .await
        .expect("PutRetentionPolicy");
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&group_arn)
        .send()
        .await
        .expect("ListTagsForResource");
    assert_eq!(tags.tags().and_then(|t| t.get("wsdeploy:app")), Some(&name));
    let found = describe().send().await.expect("DescribeLogGroups");
    assert_eq!(found.log_groups()[0].retention_in_days(), Some(14));

    client
        .delete_retention_policy()
        .log_group_name(&group)
        .send()
        .await
        .expect("DeleteRetentionPolicy");
    let found = describe().send().await.expect("DescribeLogGroups");
    assert_eq!(found.log_groups()[0].retention_in_days(), None);

    // Only the ARN without `:*` names the group; retention takes AWS's periods.
    for arn in [format!("{group_arn}:*"), format!("{group_arn}-gone")] {
        let refused = client
            .tag_resource()
            .resource_arn(&arn)
            .tags("k", "v")
            .send()
            .await
            .expect_err(&arn)
            .into_service_error();
        assert!(
            refused.is_resource_not_found_exception(),
            "{arn}: {refused:?}"
        );
    }
    let refused = client
        .put_retention_policy()
        .log_group_name(&group)
        .retention_in_days(13)
        .send()
        .await
        .expect_err("13 days is not offered")
        .into_service_error();
    assert!(refused.is_invalid_parameter_exception(), "{refused:?}");

    // Deleting the group forgets its tags: Lambda recreates it untagged.
    client
        .delete_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("DeleteLogGroup");
    emulator.lambda_logs(&name, &["again"]);
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&group_arn)
        .send()
        .await
        .expect("ListTagsForResource");
    assert!(tags.tags().is_none_or(HashMap::is_empty));
}

#[tokio::test]
async fn describe_log_groups_pages_by_prefix() {
    let config = Emulator::shared().sdk_config();
    let client = logs(&config);
    let prefix = format!("/aws/lambda/{}", unique_name("prefix"));
    let mut names: Vec<String> = (0..5).map(|i| format!("{prefix}-{i}")).collect();
    names.push(format!("/elsewhere{prefix}"));
    for name in &names {
        client
            .create_log_group()
            .log_group_name(name)
            .send()
            .await
            .expect("CreateLogGroup");
    }

    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_log_groups()
            .log_group_name_prefix(&prefix)
            .set_next_token(token.take())
            .send()
            .await
            .expect("DescribeLogGroups");
        pages.push(
            page.log_groups()
                .iter()
                .map(|g| g.log_group_name().unwrap_or_default().to_owned())
                .collect::<Vec<_>>(),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    assert_eq!(pages.concat(), names[..5]);
}

// -- what Lambda writes: POST /_wsdeploy/lambda-logs -------------------------------

#[tokio::test]
async fn lambda_logs_in_text_format_look_like_lambdas() {
    let emulator = Emulator::shared();
    let config = emulator.sdk_config();
    let name = unique_name("txtlog");
    create_function(&config, &name, None)
        .await
        .expect("CreateFunction");

    let written = emulator.lambda_logs(&name, &["hello", "world"]);
    let group = format!("/aws/lambda/{name}");
    assert_eq!(written["logGroupName"], json!(group));
    let stream = written["logStreamName"].as_str().expect("stream name");
    let (day, rest) = stream.split_at(11);
    let date_shape: String = day
        .chars()
        .map(|c| if c.is_ascii_digit() { 'D' } else { c })
        .collect();
    assert_eq!(date_shape, "DDDD/DD/DD/", "{stream}");
    let hex = rest.strip_prefix("[$LATEST]").expect("[$LATEST]<hex>");
    assert!(
        hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()),
        "{stream}"
    );
    let request_id = written["requestId"].as_str().expect("request id");

    let client = logs(&config);
    let (events, _) = filter_all(client.filter_log_events().log_group_name(&group))
        .await
        .expect("FilterLogEvents");
    let found = messages(&events);
    assert_eq!(found.len(), 6, "{found:#?}");
    assert!(found[0].starts_with("INIT_START Runtime Version: "));
    assert_eq!(
        found[1],
        format!("START RequestId: {request_id} Version: $LATEST\n")
    );
    for (message, line) in found[2..4].iter().zip(["hello", "world"]) {
        let fields: Vec<&str> = message.trim_end().split('\t').collect();
        assert_eq!(fields[1..], [request_id, "INFO", line], "{message:?}");
        assert!(
            fields[0].starts_with(&day[..10].replace('/', "-")),
            "{message:?}"
        );
        assert!(fields[0].ends_with('Z'), "ISO time: {message:?}");
    }
    assert_eq!(found[4], format!("END RequestId: {request_id}\n"));
    assert!(
        found[5].starts_with(&format!("REPORT RequestId: {request_id}\tDuration: ")),
        "{:?}",
        found[5]
    );
    assert!(found[5].contains("\tBilled Duration: ") && found[5].contains("\tMemory Size: 128 MB"));
    assert_eq!(written["messages"], json!(found));

    // A line can carry its level, as console.error's do; the timestamp is the caller's.
    let at = now_ms() - 5_000;
    let body = json!({ "function": name, "timestamp": at,
                       "lines": [{ "level": "ERROR", "message": "boom" }] });
    let written = emulator.try_lambda_logs(body).expect("lambda-logs");
    let errors = client
        .filter_log_events()
        .log_group_name(&group)
        .filter_pattern("ERROR boom")
        .send()
        .await
        .expect("FilterLogEvents");
    let [error] = errors.events() else {
        panic!("one ERROR line: {errors:?}")
    };
    assert_eq!(error.log_stream_name(), written["logStreamName"].as_str());
    assert!(error.timestamp().is_some_and(|t| t >= at && t < at + 10));
    assert!(error.message().is_some_and(|m| m.contains("\tERROR\tboom")));
}

#[tokio::test]
async fn lambda_logs_in_json_format_follow_the_levels() {
    let emulator = Emulator::shared();
    let config = emulator.sdk_config();
    let name = unique_name("jsonlog");
    let custom = format!("/wsdeploy/{name}");
    let logging = LoggingConfig::builder()
        .log_format(LogFormat::Json)
        .application_log_level(ApplicationLogLevel::Warn)
        .log_group(&custom)
        .build();
    create_function(&config, &name, Some(logging))
        .await
        .expect("CreateFunction");

    let body = json!({ "function": name, "lines": [
        "routine",
        { "level": "WARN", "message": "careful" },
        { "level": "ERROR", "message": "broken" },
    ] });
    let written = emulator.try_lambda_logs(body).expect("lambda-logs");
    assert_eq!(written["logGroupName"], json!(custom));
    let stream = written["logStreamName"].as_str().expect("stream");
    assert!(
        stream[11..].starts_with(&format!("{name}[$LATEST]")),
        "a custom group's streams name the function: {stream}"
    );
    let request_id = written["requestId"].as_str().expect("request id");

    let client = logs(&config);
    let (events, _) = filter_all(client.filter_log_events().log_group_name(&custom))
        .await
        .expect("FilterLogEvents");
    let records: Vec<Value> = messages(&events)
        .iter()
        .map(|m| serde_json::from_str(m).expect("every record is JSON"))
        .collect();
    let types: Vec<&str> = records.iter().filter_map(|r| r["type"].as_str()).collect();
    assert_eq!(
        types,
        ["platform.initStart", "platform.start", "platform.report"]
    );
    assert_eq!(
        records[1]["record"],
        json!({ "requestId": request_id, "version": "$LATEST" })
    );
    assert_eq!(records[4]["record"]["requestId"], json!(request_id));
    assert!(records[4]["record"]["metrics"]["durationMs"].is_number());
    // INFO is below the function's WARN: "routine" is not written.
    let application: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| r.get("level").is_some())
        .map(|r| (r["level"].as_str().unwrap(), r["message"].as_str().unwrap()))
        .collect();
    assert_eq!(application, [("WARN", "careful"), ("ERROR", "broken")]);
    assert_eq!(records[3]["requestId"], json!(request_id));
    assert!(
        records[3]["timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let errors = client
        .filter_log_events()
        .log_group_name(&custom)
        .filter_pattern(r#"{ $.level = "ERROR" && $.requestId = "*" }"#)
        .send()
        .await
        .expect("FilterLogEvents");
    assert_eq!(errors.events().len(), 1);
    assert!(
        errors.events()[0]
            .message()
            .is_some_and(|m| m.contains("broken"))
    );
}

#[tokio::test]
async fn lambda_logs_need_an_existing_function() {
    let emulator = Emulator::shared();
    let (status, message) = emulator
        .try_lambda_logs(json!({ "function": unique_name("nofn"), "lines": ["x"] }))
        .expect_err("no such function");
    assert_eq!(status, 404);
    assert!(
        message.starts_with("Function not found: arn:aws:lambda:"),
        "{message}"
    );
    let (status, _) = emulator
        .try_lambda_logs(json!({ "lines": ["x"] }))
        .expect_err("no function named");
    assert_eq!(status, 400);
}

// -- the FilterLogEvents quota -------------------------------------------------------

#[tokio::test]
async fn filter_log_events_quota_throttles_the_sixth_call_within_a_second() {
    let emulator = Emulator::start_with(EmulatorOptions::new().profile("quotas"));
    assert_eq!(emulator.faults()["logs_filter_rate"], json!(5));
    let config = emulator.sdk_config_without_retries();
    let client = logs(&config);
    let group = "/aws/lambda/quota";
    client
        .create_log_group()
        .log_group_name(group)
        .send()
        .await
        .expect("CreateLogGroup");
    emulator.clear_calls();

    // Six calls at once: five pass, the sixth is over 5 per second.
    let started = Instant::now();
    let calls = (0..6).map(|_| client.filter_log_events().log_group_name(group).send());
    let results = futures_util::future::join_all(calls).await;
    let elapsed = started.elapsed();
    let throttled: Vec<_> = results
        .into_iter()
        .filter_map(Result::err)
        .map(|e| e.into_service_error())
        .collect();
    assert_eq!(throttled.len(), 1, "{throttled:?} in {elapsed:?}");
    assert_eq!(throttled[0].code(), Some("ThrottlingException"));
    assert_eq!(throttled[0].message(), Some("Rate exceeded"));
    let quota_calls: Vec<_> = emulator
        .calls()
        .into_iter()
        .filter(|c| c.fault.as_deref() == Some("quota"))
        .collect();
    assert_eq!(quota_calls.len(), 1);
    assert_eq!(
        (
            quota_calls[0].operation.as_str(),
            quota_calls[0].status,
            quota_calls[0].mutating
        ),
        ("FilterLogEvents", 400, false)
    );

    // Other CloudWatch Logs calls are not counted; a second later FilterLogEvents passes.
    client
        .describe_log_groups()
        .send()
        .await
        .expect("DescribeLogGroups is not limited");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client
        .filter_log_events()
        .log_group_name(group)
        .send()
        .await
        .expect("the window moved on");
}
