//! What deploy and remove read around the lock, and why that is enough.
//!
//! - A first deploy (its first read found nothing) reads again under the
//!   lock with four listings only; when another run deployed meanwhile
//!   those listings see it and the deploy reads everything.
//! - `remove --yes` lists the API while it takes the lock; the read under
//!   the lock lists it again and keeps what it read with that hint only
//!   when both name the same API.
//! - A removal reads no policy documents, no statements of its own
//!   functions, no route responses and no deployment.
//!
//! The races are made deterministic with a lock held "elsewhere": the run
//! reads, finds the lock taken and waits; the test changes live state as
//! another run would, then releases the lock.

mod support;

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_apigatewayv2::types::ProtocolType;
use support::Emulator;
use support::cli::{self, ok, text};

struct App {
    name: String,
    config: std::path::PathBuf,
}

fn chat(prefix: &str) -> App {
    let (name, config) = cli::chat_copy(prefix);
    App { name, config }
}

fn wsdeploy(em: &Emulator, app: &App, args: &[&str]) -> Output {
    cli::run(em, &app.config, args)
}

fn spawn(em: &Emulator, app: &App, args: &[&str]) -> Child {
    cli::command(em, &app.config, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn lock_group(app: &App) -> String {
    format!("/wsdeploy/locks/{}/dev", app.name)
}

/// Takes the app's lock as a run on another machine would.
async fn hold_lock(em: &Emulator, app: &App) {
    aws_sdk_cloudwatchlogs::Client::new(&em.sdk_config())
        .create_log_group()
        .log_group_name(lock_group(app))
        .tags("wsdeploy:lock-owner", "ci-runner-7:4242")
        .tags("wsdeploy:lock-since", "4102444800")
        .tags("wsdeploy:lock-command", "deploy")
        .send()
        .await
        .unwrap();
}

async fn release_lock(em: &Emulator, app: &App) {
    aws_sdk_cloudwatchlogs::Client::new(&em.sdk_config())
        .delete_log_group()
        .log_group_name(lock_group(app))
        .send()
        .await
        .unwrap();
}

/// Waits until the run has found the lock taken (a refused CreateLogGroup
/// in the call log) and has listed the APIs.
fn wait_until_waiting_for_the_lock(em: &Emulator) {
    let start = Instant::now();
    loop {
        let calls = em.calls();
        let refused = calls
            .iter()
            .any(|c| c.operation == "CreateLogGroup" && c.status >= 400);
        let listed = calls.iter().any(|c| c.operation == "GetApis");
        if refused && listed {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the run never waited for the lock: {calls:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The ids of the APIs tagged for the app's dev stage.
async fn apis_of(em: &Emulator, app: &App) -> Vec<String> {
    let gw = aws_sdk_apigatewayv2::Client::new(&em.sdk_config());
    let listed = gw.get_apis().send().await.unwrap();
    listed
        .items()
        .iter()
        .filter(|a| a.tags().and_then(|t| t.get("wsdeploy:app")) == Some(&app.name))
        .filter_map(|a| a.api_id().map(str::to_owned))
        .collect()
}

/// Makes the app's API as a run of wsdeploy would (name and tags), with
/// nothing in it.
async fn make_api(em: &Emulator, app: &App) -> String {
    let gw = aws_sdk_apigatewayv2::Client::new(&em.sdk_config());
    gw.create_api()
        .name(format!("{}-dev", app.name))
        .protocol_type(ProtocolType::Websocket)
        .route_selection_expression("$request.body.action")
        .tags("wsdeploy:app", &app.name)
        .tags("wsdeploy:stage", "dev")
        .send()
        .await
        .unwrap()
        .api_id()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_deploy_sees_an_api_made_while_it_waited_for_the_lock() {
    let em = Emulator::start();
    let app = chat("firstapi");
    hold_lock(&em, &app).await;
    let run = spawn(&em, &app, &["deploy", "--lock-timeout", "60"]);
    wait_until_waiting_for_the_lock(&em);
    // Another run deployed the API (and stopped) while this one waited.
    let made = make_api(&em, &app).await;
    release_lock(&em, &app).await;
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        apis_of(&em, &app).await,
        vec![made],
        "the deploy adopted the API made meanwhile instead of making a second"
    );
    ok(wsdeploy(&em, &app, &["diff", "--exit-code"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_deploy_sees_a_role_made_while_it_waited_for_the_lock() {
    let em = Emulator::start();
    let app = chat("firstrole");
    hold_lock(&em, &app).await;
    let run = spawn(&em, &app, &["deploy", "--lock-timeout", "60"]);
    wait_until_waiting_for_the_lock(&em);
    // Another run stopped right after making one role.
    let role = format!("{}-dev-default", app.name);
    aws_sdk_iam::Client::new(&em.sdk_config())
        .create_role()
        .role_name(&role)
        .path(format!("/wsdeploy/{}/dev/", app.name))
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("wsdeploy:app")
                .value(&app.name)
                .build()
                .unwrap(),
        )
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("wsdeploy:stage")
                .value("dev")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    release_lock(&em, &app).await;
    // Had it planned from "nothing exists", CreateRole would be refused.
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    ok(wsdeploy(&em, &app, &["diff", "--exit-code"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_deploy_confirms_nothing_appeared_with_four_listings() {
    let em = Emulator::start();
    let app = chat("fourlists");
    ok(wsdeploy(&em, &app, &["deploy"]));
    let mut calls = em.calls();
    calls.sort_by(|a, b| a.time.total_cmp(&b.time));
    let lock = calls
        .iter()
        .position(|c| c.operation == "CreateLogGroup" && c.status < 300)
        .expect("the deploy took the lock");
    let next_write = lock
        + 1
        + calls[lock + 1..]
            .iter()
            .position(|c| c.mutating)
            .expect("the deploy wrote");
    let mut under_lock: Vec<&str> = calls[lock + 1..next_write]
        .iter()
        .map(|c| c.operation.as_str())
        .collect();
    under_lock.sort_unstable();
    assert_eq!(
        under_lock,
        [
            "DescribeLogGroups",
            "DescribeLogGroups",
            "GetApis",
            "ListRoles"
        ],
        "{calls:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_finds_the_api_that_replaced_the_one_it_listed_before_the_lock() {
    let em = Emulator::start();
    let app = chat("hint");
    ok(wsdeploy(&em, &app, &["deploy"]));
    let listed = apis_of(&em, &app).await;
    assert_eq!(listed.len(), 1);
    hold_lock(&em, &app).await;
    em.clear_calls();
    let run = spawn(&em, &app, &["remove", "--yes", "--lock-timeout", "60"]);
    wait_until_waiting_for_the_lock(&em);
    // Meanwhile the API was deleted and made again (another id).
    aws_sdk_apigatewayv2::Client::new(&em.sdk_config())
        .delete_api()
        .api_id(&listed[0])
        .send()
        .await
        .unwrap();
    let again = make_api(&em, &app).await;
    assert_ne!(again, listed[0]);
    release_lock(&em, &app).await;
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        apis_of(&em, &app).await,
        Vec::<String>::new(),
        "the API listed under the lock was removed, not the one listed before it"
    );
    let after = wsdeploy(&em, &app, &["remove", "--yes"]);
    assert!(
        String::from_utf8_lossy(&after.stderr).contains("Nothing to remove"),
        "{}",
        text(&after)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removal_reads_what_it_deletes_by_and_nothing_else() {
    let em = Emulator::start();
    let app = chat("removereads");
    ok(wsdeploy(&em, &app, &["deploy"]));
    em.clear_calls();
    ok(wsdeploy(&em, &app, &["remove", "--yes"]));
    let calls = em.calls();
    let ops: Vec<&str> = calls.iter().map(|c| c.operation.as_str()).collect();
    for unneeded in [
        "GetRolePolicy",
        "GetPolicy",
        "GetRouteResponses",
        "GetDeployment",
        "ListAttachedRolePolicies",
        "GetProvisionedConcurrencyConfig",
    ] {
        assert!(!ops.contains(&unneeded), "{unneeded} read: {ops:?}");
    }
    // Once before the lock, once under it.
    assert_eq!(
        ops.iter().filter(|o| **o == "GetApis").count(),
        2,
        "{ops:?}"
    );
    let live = wsdeploy(&em, &app, &["remove", "--yes"]);
    assert!(
        String::from_utf8_lossy(&live.stderr).contains("Nothing to remove"),
        "{}",
        text(&live)
    );
}
