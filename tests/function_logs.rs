//! The functions' log groups against the emulator: made tagged, with their
//! retention, before their functions; drift shown and repaired; an
//! untagged group adopted or a foreign one refused by the contract's
//! ownership rule; deleted by `remove` unless `--keep-logs`. Each test
//! deploys a copy of fixtures/minimal under a unique app name.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use aws_sdk_cloudwatchlogs as logs;
use support::cli::{self, copy_dir, ok, text};
use support::{Emulator, unique_name};

struct App {
    name: String,
    config: PathBuf,
}

impl App {
    /// fixtures/minimal under a unique name, with `extra` appended to its
    /// config.
    fn new(prefix: &str, extra: &str) -> App {
        let name = unique_name(prefix);
        let dir = std::env::temp_dir().join(format!("wsdeploy-fnlogs-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/minimal"),
            &dir,
        );
        let config = dir.join("wsdeploy.yml");
        let body = std::fs::read_to_string(&config)
            .unwrap()
            .replace("app: minimal", &format!("app: {name}"));
        std::fs::write(&config, body + extra).unwrap();
        App { name, config }
    }

    fn group(&self) -> String {
        format!("/aws/lambda/{}-dev-default", self.name)
    }

    fn run(&self, em: &Emulator, args: &[&str]) -> Output {
        cli::run(em, &self.config, args)
    }
}

fn client(em: &Emulator) -> logs::Client {
    logs::Client::new(&em.sdk_config())
}

/// The group's retention and tags, or `None` when it does not exist.
async fn group(c: &logs::Client, name: &str) -> Option<(Option<i32>, HashMap<String, String>)> {
    let page = c
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .unwrap();
    let g = page
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))?;
    let tags = c
        .list_tags_for_resource()
        .resource_arn(g.log_group_arn().unwrap())
        .send()
        .await
        .unwrap();
    Some((
        g.retention_in_days(),
        tags.tags().cloned().unwrap_or_default(),
    ))
}

fn assert_ours(found: &Option<(Option<i32>, HashMap<String, String>)>, app: &str, days: i32) {
    let (retention, tags) = found.as_ref().expect("the log group exists");
    assert_eq!(*retention, Some(days));
    assert_eq!(tags.get("wsdeploy:app").map(String::as_str), Some(app));
    assert_eq!(tags.get("wsdeploy:stage").map(String::as_str), Some("dev"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_group_is_made_before_the_function_is_invoked_and_kept_in_sync() {
    // Its own emulator: the call log's order is asserted.
    let em = Emulator::start();
    let c = client(&em);
    let app = App::new("fnlog", "");
    em.clear_calls();
    ok(app.run(&em, &["deploy"]));
    let mut calls = em.calls();
    calls.sort_by(|a, b| a.time.total_cmp(&b.time));
    // The first CreateLogGroup is the lock's; the app's only other one is
    // the function's group.
    let group_made = calls
        .iter()
        .rposition(|c| c.operation == "CreateLogGroup")
        .unwrap();
    let deployed = calls
        .iter()
        .position(|c| c.operation == "CreateDeployment")
        .unwrap();
    assert!(
        calls[group_made].time + calls[group_made].duration_ms / 1000.0 <= calls[deployed].time,
        "the group exists before the deployment makes the function invocable, \
         so Lambda never makes an untagged one"
    );
    assert_ours(&group(&c, &app.group()).await, &app.name, 30);

    // Retention changed by hand: shown, then repaired.
    c.put_retention_policy()
        .log_group_name(app.group())
        .retention_in_days(7)
        .send()
        .await
        .unwrap();
    let out = app.run(&em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("retention: 7 days -> 30 days"),
        "{}",
        text(&out)
    );
    ok(app.run(&em, &["deploy"]));
    assert_ours(&group(&c, &app.group()).await, &app.name, 30);

    // Deleted by hand: made again, tagged.
    c.delete_log_group()
        .log_group_name(app.group())
        .send()
        .await
        .unwrap();
    let out = app.run(&em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("+ log group {}", app.group())),
        "{}",
        text(&out)
    );
    ok(app.run(&em, &["deploy"]));
    assert_ours(&group(&c, &app.group()).await, &app.name, 30);
    let out = app.run(&em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_deletes_the_groups_unless_keep_logs() {
    let em = Emulator::shared();
    let c = client(em);
    let app = App::new("fnlogrm", "");
    ok(app.run(em, &["deploy"]));

    ok(app.run(em, &["remove", "--yes", "--keep-logs"]));
    assert_ours(&group(&c, &app.group()).await, &app.name, 30);

    // The kept group is still ours: the next deploy takes it as it is.
    ok(app.run(em, &["deploy"]));
    let out = app.run(em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Lambda made it again without tags after it was deleted by hand: the
    // function is ours, so the group is too.
    c.delete_log_group()
        .log_group_name(app.group())
        .send()
        .await
        .unwrap();
    c.create_log_group()
        .log_group_name(app.group())
        .send()
        .await
        .unwrap();
    let out = ok(app.run(em, &["remove", "--yes"]));
    assert!(
        text(&out).contains(&format!("log group {}", app.group())),
        "{}",
        text(&out)
    );
    assert_eq!(group(&c, &app.group()).await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untagged_group_is_adopted() {
    let em = Emulator::shared();
    let c = client(em);
    let app = App::new("fnlogadopt", "");
    // Left behind without tags or retention (as Lambda makes them), by an
    // earlier function of that name.
    c.create_log_group()
        .log_group_name(app.group())
        .send()
        .await
        .unwrap();
    let out = app.run(em, &["diff"]);
    assert!(
        text(&out).contains(&format!(
            "~ log group {} (adopted: it was made without wsdeploy's tags)",
            app.group()
        )) && text(&out).contains("retention: never expire -> 30 days"),
        "{}",
        text(&out)
    );
    ok(app.run(em, &["deploy"]));
    assert_ours(&group(&c, &app.group()).await, &app.name, 30);
    let out = app.run(em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    ok(app.run(em, &["remove", "--yes"]));
    assert_eq!(group(&c, &app.group()).await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_of_another_app_stops_deploy_and_is_left_alone() {
    let em = Emulator::shared();
    let c = client(em);
    let app = App::new("fnlogforeign", "");
    c.create_log_group()
        .log_group_name(app.group())
        .tags("wsdeploy:app", "someone-else")
        .tags("wsdeploy:stage", "dev")
        .send()
        .await
        .unwrap();
    let out = app.run(em, &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("log group `{}`", app.group())) && stderr.contains("someone-else"),
        "{stderr}"
    );
    ok(app.run(em, &["remove", "--yes"]));
    let (retention, tags) = group(&c, &app.group()).await.expect("left alone");
    assert_eq!(retention, None);
    assert_eq!(tags["wsdeploy:app"], "someone-else");
}

/// The function's LoggingConfig as Lambda reports it: format, application
/// level, group.
async fn logging(em: &Emulator, function: &str) -> (String, Option<String>, Option<String>) {
    let lambda = aws_sdk_lambda::Client::new(&em.sdk_config());
    let got = lambda
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .unwrap();
    let l = got.logging_config().expect("LoggingConfig");
    (
        l.log_format().unwrap().as_str().to_owned(),
        l.application_log_level().map(|x| x.as_str().to_owned()),
        l.log_group().map(str::to_owned),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_logs_setting_reaches_the_group_and_lambda() {
    let em = Emulator::shared();
    let c = client(em);
    let app = App::new(
        "fnlogset",
        "defaults:\n  function:\n    logs: { retention: one_week, format: json, level: DEBUG }\n",
    );
    let function = format!("{}-dev-default", app.name);
    ok(app.run(em, &["deploy"]));
    assert_ours(&group(&c, &app.group()).await, &app.name, 7);
    assert_eq!(
        logging(em, &function).await,
        (
            "JSON".to_owned(),
            Some("DEBUG".to_owned()),
            Some(app.group())
        )
    );
    let out = app.run(em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Switched to text in the console: drift, repaired.
    let lambda = aws_sdk_lambda::Client::new(&em.sdk_config());
    lambda
        .update_function_configuration()
        .function_name(&function)
        .logging_config(
            aws_sdk_lambda::types::LoggingConfig::builder()
                .log_format(aws_sdk_lambda::types::LogFormat::Text)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let out = app.run(em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("logs.format: Text -> JSON")
            && text(&out).contains("logs.level: (none) -> DEBUG"),
        "{}",
        text(&out)
    );
    ok(app.run(em, &["deploy"]));
    assert_eq!(logging(em, &function).await.0, "JSON");

    // Back to the defaults: text, 30 days, forever with `infinite`.
    let body = std::fs::read_to_string(&app.config).unwrap().replace(
        "{ retention: one_week, format: json, level: DEBUG }",
        "{ retention: infinite }",
    );
    std::fs::write(&app.config, body).unwrap();
    ok(app.run(em, &["deploy"]));
    let (retention, _) = group(&c, &app.group()).await.unwrap();
    assert_eq!(retention, None, "infinite: never expire");
    assert_eq!(
        logging(em, &function).await,
        ("Text".to_owned(), None, Some(app.group()))
    );
    let out = app.run(em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    ok(app.run(em, &["remove", "--yes"]));
}
