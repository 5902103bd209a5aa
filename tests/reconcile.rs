//! The reconciler against the emulator: deploy, diff, drift repair, remove,
//! ownership, and the realistic fault profile. Each test deploys a copy of
//! a fixture under a unique app name, so tests run in parallel; tests that
//! count calls get an emulator of their own.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_sdk_apigatewayv2 as gw;
use aws_sdk_iam as iam;
use aws_sdk_lambda as lambda;
use support::cli::{self, copy_dir, ok, text};
use support::emulator::{ACCOUNT_ID, REGION};
use support::{Emulator, EmulatorOptions, unique_name};

struct App {
    name: String,
    config: PathBuf,
    dir: PathBuf,
}

fn wsdeploy(em: &Emulator, app: &App, args: &[&str]) -> Output {
    cli::run(em, &app.config, args)
}

/// Copies `fixtures/<fixture>` to a scratch directory and gives it a
/// unique app name.
fn app_copy(fixture: &str, file: &str) -> App {
    let name = unique_name(&fixture.chars().take(6).collect::<String>());
    let dir = std::env::temp_dir().join(format!("wsdeploy-reconcile-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(fixture),
        &dir,
    );
    let config = dir.join(file);
    let text = std::fs::read_to_string(&config).unwrap();
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("app:") {
                format!("app: {name}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&config, text + "\n").unwrap();
    App { name, config, dir }
}

/// The writes a run made to the app's resources. The deploy lock (a log
/// group created and deleted around every run that writes) is left out
/// here: these apps have no access-log group, so every Logs write is the
/// lock's. `lock_writes` counts those.
fn mutating(em: &Emulator) -> Vec<String> {
    em.calls()
        .into_iter()
        .filter(|c| c.mutating && c.service != "logs")
        .map(|c| c.operation)
        .collect()
}

fn lock_writes(em: &Emulator) -> Vec<String> {
    em.calls()
        .into_iter()
        .filter(|c| c.mutating && c.service == "logs")
        .map(|c| c.operation)
        .collect()
}

/// Replaces the line of the app's config that starts with `prefix`.
fn set_line(app: &App, prefix: &str, line: &str) {
    let text = std::fs::read_to_string(&app.config).unwrap();
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if l.trim_start().starts_with(prefix) {
                line.to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect();
    std::fs::write(&app.config, out.join("\n") + "\n").unwrap();
}

/// The public hosted zone `zone`, created when missing.
async fn hosted_zone(sdk: &aws_config::SdkConfig, zone: &str) -> String {
    let r = aws_sdk_route53::Client::new(sdk);
    let found = r
        .list_hosted_zones_by_name()
        .dns_name(zone)
        .send()
        .await
        .unwrap();
    if let Some(z) = found
        .hosted_zones()
        .iter()
        .find(|z| z.name().trim_end_matches('.') == zone)
    {
        return z.id().to_owned();
    }
    let out = r
        .create_hosted_zone()
        .name(zone)
        .caller_reference(unique_name("zone"))
        .send()
        .await
        .unwrap();
    out.hosted_zone().unwrap().id().to_owned()
}

/// A certificate issued outside wsdeploy (the emulator issues at once
/// unless `acm_pending_s` says otherwise).
async fn issued_certificate(sdk: &aws_config::SdkConfig, name: &str) -> String {
    let acm = aws_sdk_acm::Client::new(sdk);
    let out = acm
        .request_certificate()
        .domain_name(name)
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .unwrap();
    out.certificate_arn().unwrap().to_owned()
}

struct Clients {
    gw: gw::Client,
    lambda: lambda::Client,
    iam: iam::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
}

fn clients(em: &Emulator) -> Clients {
    let c = em.sdk_config();
    Clients {
        gw: gw::Client::new(&c),
        lambda: lambda::Client::new(&c),
        iam: iam::Client::new(&c),
        logs: aws_sdk_cloudwatchlogs::Client::new(&c),
    }
}

/// The id of the API tagged for this app and stage, if any.
async fn owned_api(c: &Clients, app: &str, stage: &str) -> Option<String> {
    let mut token = None;
    loop {
        let out = c.gw.get_apis().set_next_token(token).send().await.unwrap();
        for api in out.items() {
            let tags = api.tags().cloned().unwrap_or_default();
            if tags.get("wsdeploy:app").map(String::as_str) == Some(app)
                && tags.get("wsdeploy:stage").map(String::as_str) == Some(stage)
            {
                return api.api_id().map(str::to_owned);
            }
        }
        token = Some(out.next_token()?.to_owned());
    }
}

async fn routes(c: &Clients, api: &str) -> Vec<gw::types::Route> {
    let mut all = Vec::new();
    let mut token = None;
    loop {
        let out =
            c.gw.get_routes()
                .api_id(api)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
        all.extend(out.items().iter().cloned());
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return all;
        }
    }
}

fn policy_json(doc: &str) -> serde_json::Value {
    let decoded = if doc.starts_with('{') {
        doc.to_owned()
    } else {
        urlencoding_decode(doc)
    };
    serde_json::from_str(&decoded).unwrap()
}

fn urlencoding_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
            );
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Checks the live state of a deployed chat app against the contract.
async fn assert_chat_matches_contract(c: &Clients, app: &str) {
    let api = owned_api(c, app, "dev")
        .await
        .expect("the API is tagged for the app and stage");
    let fname = |f: &str| format!("{app}-dev-{f}");

    let routes = routes(c, &api).await;
    let mut keys: Vec<&str> = routes.iter().filter_map(|r| r.route_key()).collect();
    keys.sort();
    assert_eq!(keys, ["$connect", "$default", "$disconnect", "sendMessage"]);
    let connect = routes
        .iter()
        .find(|r| r.route_key() == Some("$connect"))
        .unwrap();
    assert_eq!(
        connect.authorization_type().map(|a| a.as_str()),
        Some("CUSTOM")
    );
    assert!(
        routes
            .iter()
            .all(|r| r.target().is_some_and(|t| t.starts_with("integrations/")))
    );
    assert!(
        routes
            .iter()
            .filter(|r| r.route_key() != Some("$connect"))
            .all(|r| r.authorization_type().is_none_or(|a| a.as_str() == "NONE"))
    );

    let auths = c.gw.get_authorizers().api_id(&api).send().await.unwrap();
    let a = &auths.items()[0];
    assert_eq!(Some(a.authorizer_id().unwrap()), connect.authorizer_id());
    assert_eq!(a.identity_source(), ["route.request.querystring.token"]);
    assert!(
        a.authorizer_uri()
            .unwrap()
            .contains(&format!("function:{}/invocations", fname("authorizer")))
    );

    let mut uris = Vec::new();
    let mut token = None;
    loop {
        let out =
            c.gw.get_integrations()
                .api_id(&api)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
        uris.extend(
            out.items()
                .iter()
                .filter_map(|i| i.integration_uri().map(str::to_owned)),
        );
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    uris.sort();
    assert_eq!(
        uris.len(),
        4,
        "one integration per route function: {uris:?}"
    );

    // Invoke permissions scoped to this API (and its authorizers).
    let source = format!("arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api}/*");
    let p = c
        .lambda
        .get_policy()
        .function_name(fname("connect"))
        .send()
        .await
        .unwrap();
    let doc: serde_json::Value = serde_json::from_str(p.policy().unwrap()).unwrap();
    let st = &doc["Statement"][0];
    assert_eq!(st["Sid"], "wsdeploy-invoke");
    assert_eq!(st["Condition"]["ArnLike"]["AWS:SourceArn"], source.as_str());
    assert_eq!(
        st["Condition"]["StringEquals"]["AWS:SourceAccount"],
        ACCOUNT_ID
    );
    let p = c
        .lambda
        .get_policy()
        .function_name(fname("authorizer"))
        .send()
        .await
        .unwrap();
    assert!(
        p.policy()
            .unwrap()
            .contains(&format!("{api}/authorizers/*"))
    );

    // The role: trusted by Lambda only; ManageConnections on this stage only.
    let role = c
        .iam
        .get_role()
        .role_name(fname("sendMessage"))
        .send()
        .await
        .unwrap();
    let role = role.role().unwrap();
    assert_eq!(role.path(), format!("/wsdeploy/{app}/dev/"));
    let trust = policy_json(role.assume_role_policy_document().unwrap());
    assert_eq!(trust["Statement"].as_array().unwrap().len(), 1);
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
    let inline = c
        .iam
        .get_role_policy()
        .role_name(fname("sendMessage"))
        .policy_name("wsdeploy")
        .send()
        .await
        .unwrap();
    let inline = policy_json(inline.policy_document());
    let text = inline.to_string();
    assert!(
        text.contains(&format!(
            "arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api}/dev/*/@connections/*"
        )),
        "{text}"
    );
    assert!(
        !text.contains("\"*\""),
        "no statement may grant `*`: {text}"
    );

    // Environment: the injected variables and the configured ones.
    let f = c
        .lambda
        .get_function()
        .function_name(fname("sendMessage"))
        .send()
        .await
        .unwrap();
    let conf = f.configuration().unwrap();
    let env = conf.environment().unwrap().variables().unwrap();
    assert_eq!(
        env["WSDEPLOY_MANAGEMENT_ENDPOINT"],
        format!("https://{api}.execute-api.{REGION}.amazonaws.com/dev")
    );
    assert_eq!(env["WSDEPLOY_APP"], app);
    assert_eq!(env["WSDEPLOY_STAGE"], "dev");
    assert!(env.contains_key("CONNECTIONS_TABLE"));
    assert_eq!(
        conf.role().unwrap(),
        format!(
            "arn:aws:iam::{ACCOUNT_ID}:role/wsdeploy/{app}/dev/{}",
            fname("sendMessage")
        )
    );

    // Tags on everything taggable.
    let tags = f.tags().unwrap();
    assert_eq!(tags["wsdeploy:app"], app);
    assert_eq!(tags["wsdeploy:stage"], "dev");
    let mut role_tags = Vec::new();
    let mut marker = None;
    loop {
        let out = c
            .iam
            .list_role_tags()
            .role_name(fname("sendMessage"))
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        role_tags.extend(
            out.tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        );
        marker = out
            .marker()
            .map(str::to_owned)
            .filter(|_| out.is_truncated());
        if marker.is_none() {
            break;
        }
    }
    assert!(
        role_tags
            .iter()
            .any(|(k, v)| k == "wsdeploy:app" && v == app),
        "{role_tags:?}"
    );

    // The stage runs a deployment made from this definition.
    let stages = c.gw.get_stages().api_id(&api).send().await.unwrap();
    let stage = stages
        .items()
        .iter()
        .find(|s| s.stage_name() == Some("dev"))
        .expect("stage dev");
    assert_eq!(stage.tags().unwrap()["wsdeploy:app"], app);
    let dep =
        c.gw.get_deployment()
            .api_id(&api)
            .deployment_id(stage.deployment_id().unwrap())
            .send()
            .await
            .unwrap();
    assert!(
        dep.description()
            .unwrap()
            .starts_with("wsdeploy definition ")
    );
}

/// Nothing tagged for the app is left.
async fn assert_nothing_left(c: &Clients, app: &str, stage: &str) {
    assert_eq!(owned_api(c, app, stage).await, None);
    let roles = c
        .iam
        .list_roles()
        .path_prefix(format!("/wsdeploy/{app}/"))
        .send()
        .await
        .unwrap();
    assert!(
        roles.roles().is_empty(),
        "roles left: {:?}",
        roles
            .roles()
            .iter()
            .map(|r| r.role_name())
            .collect::<Vec<_>>()
    );
    for f in [
        "connect",
        "disconnect",
        "default",
        "sendMessage",
        "authorizer",
    ] {
        let r = c
            .lambda
            .get_function()
            .function_name(format!("{app}-dev-{f}"))
            .send()
            .await;
        assert!(r.is_err(), "function {f} is left");
    }
    let groups = c
        .logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/lambda/{app}-{stage}-"))
        .send()
        .await
        .unwrap();
    assert!(
        groups.log_groups().is_empty(),
        "function log groups left: {:?}",
        groups
            .log_groups()
            .iter()
            .map(|g| g.log_group_name())
            .collect::<Vec<_>>()
    );
}

/// What a lifecycle test changes: a handler file and the function it
/// belongs to; the route, timeout and permission it drifts out of band.
struct Lifecycle<'a> {
    stage: &'a str,
    /// SDK clients in the fixture's region.
    clients: Clients,
    handler_file: &'a str,
    /// Appended to the handler file to change its code (a comment is no
    /// change once a bundler drops it).
    handler_change: &'a str,
    handler_function: &'a str,
    drift_route: &'a str,
    drift_timeout_function: &'a str,
    drift_timeout: (i32, u32),
    drift_permission_function: &'a str,
}

/// deploy → no-op deploy writes nothing → one handler changes: one upload →
/// out-of-band drift shown and repaired → remove leaves nothing, twice.
async fn lifecycle(
    em: &Emulator,
    app: &App,
    l: Lifecycle<'_>,
    after_deploy: impl AsyncFn(&Clients),
) {
    let c = &l.clients;
    let fname = |f: &str| format!("{}-{}-{f}", app.name, l.stage);
    let out = ok(wsdeploy(em, app, &["deploy"]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("url: wss://") && stdout.contains(&format!("/{}", l.stage)),
        "{}",
        text(&out)
    );
    after_deploy(c).await;

    // In sync: diff says so, and a deploy writes nothing.
    ok(wsdeploy(em, app, &["diff", "--exit-code"]));
    em.clear_calls();
    ok(wsdeploy(em, app, &["deploy"]));
    assert_eq!(
        mutating(em),
        Vec::<String>::new(),
        "a no-op deploy must not write"
    );
    assert_eq!(lock_writes(em), Vec::<String>::new(), "nor take the lock");
    // The stage records the definition it runs: no deployment is read.
    let reads: Vec<String> = em.calls().into_iter().map(|c| c.operation).collect();
    assert!(!reads.iter().any(|o| o == "GetDeployment"), "{reads:?}");

    // A deployment made by hand (of whatever definition) is noticed: the
    // stage's record names another deployment.
    let api = owned_api(c, &app.name, l.stage).await.unwrap();
    c.gw.create_deployment()
        .api_id(&api)
        .stage_name(l.stage)
        .description("by hand")
        .send()
        .await
        .unwrap();
    let out = wsdeploy(em, app, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("deployment {}", l.stage)),
        "{}",
        text(&out)
    );
    ok(wsdeploy(em, app, &["deploy"]));
    ok(wsdeploy(em, app, &["diff", "--exit-code"]));

    // One handler changes: exactly that function's code.
    let handler = app.dir.join(l.handler_file);
    let mut code = std::fs::read_to_string(&handler).unwrap();
    code.push_str(l.handler_change);
    std::fs::write(&handler, code).unwrap();
    let out = wsdeploy(em, app, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let plan = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        plan.contains(&format!("~ code {}", fname(l.handler_function))),
        "{plan}"
    );
    assert!(
        plan.contains("Plan: 0 to create, 1 to update, 0 to replace, 0 to delete."),
        "{plan}"
    );
    em.clear_calls();
    ok(wsdeploy(em, app, &["deploy"]));
    assert_eq!(
        mutating(em),
        ["UpdateFunctionCode"],
        "one upload and nothing else"
    );
    assert_eq!(
        lock_writes(em),
        Vec::<String>::new(),
        "a code-only plan takes no lock: its upload is conditional (tests/reliability.rs)"
    );
    ok(wsdeploy(em, app, &["diff", "--exit-code"]));

    // Drift made out of band: a route deleted, a timeout changed, an
    // invoke permission removed. diff shows each; deploy repairs them.
    let api = owned_api(c, &app.name, l.stage).await.unwrap();
    let route = routes(c, &api)
        .await
        .into_iter()
        .find(|r| r.route_key() == Some(l.drift_route))
        .unwrap();
    c.gw.delete_route()
        .api_id(&api)
        .route_id(route.route_id().unwrap())
        .send()
        .await
        .unwrap();
    c.lambda
        .update_function_configuration()
        .function_name(fname(l.drift_timeout_function))
        .timeout(l.drift_timeout.0)
        .send()
        .await
        .unwrap();
    c.lambda
        .remove_permission()
        .function_name(fname(l.drift_permission_function))
        .statement_id("wsdeploy-invoke")
        .send()
        .await
        .unwrap();
    let out = wsdeploy(em, app, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let plan = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        plan.contains(&format!("+ route {}", l.drift_route)),
        "{plan}"
    );
    assert!(
        plan.contains(&format!(
            "timeout: {} -> {}",
            l.drift_timeout.0, l.drift_timeout.1
        )),
        "{plan}"
    );
    assert!(
        plan.contains(&format!(
            "+ permission {}/wsdeploy-invoke",
            fname(l.drift_permission_function)
        )),
        "{plan}"
    );
    assert!(
        plan.contains(&format!("+ deployment {}", l.stage)),
        "{plan}"
    );
    ok(wsdeploy(em, app, &["deploy"]));
    ok(wsdeploy(em, app, &["diff", "--exit-code"]));
    after_deploy(c).await;

    // Remove: needs --yes off a terminal, leaves nothing, and is idempotent.
    let out = wsdeploy(em, app, &["remove"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    ok(wsdeploy(em, app, &["remove", "--yes"]));
    assert_nothing_left(c, &app.name, l.stage).await;
    let out = ok(wsdeploy(em, app, &["remove", "--yes"]));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Nothing to remove"),
        "{}",
        text(&out)
    );
    let out = wsdeploy(em, app, &["info"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_deploy_diff_change_drift_remove() {
    let em = Emulator::start();
    let app = app_copy("chat", "wsdeploy.yml");
    let name = app.name.clone();
    let l = Lifecycle {
        stage: "dev",
        clients: clients(&em),
        handler_file: "src/sendMessage.ts",
        handler_change: "\nexport const changed = true;\n",
        handler_function: "sendMessage",
        drift_route: "sendMessage",
        drift_timeout_function: "connect",
        drift_timeout: (3, 10),
        drift_permission_function: "default",
    };
    lifecycle(&em, &app, l, async |c: &Clients| {
        assert_chat_matches_contract(c, &name).await
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_is_one_document() {
    let em = Emulator::shared();
    let app = app_copy("minimal", "wsdeploy.yml");
    let out = ok(wsdeploy(em, &app, &["deploy", "--output", "json"]));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(v["plan"]["changes"], true);
    assert_eq!(v["result"]["failed"].as_array().unwrap().len(), 0);
    assert!(v["outputs"]["url"].as_str().unwrap().starts_with("wss://"));
    let out = ok(wsdeploy(em, &app, &["diff", "--output", "json"]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["changes"], false);
    let out = ok(wsdeploy(em, &app, &["info", "--output", "json"]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["functions"]["$default"]
            .as_str()
            .unwrap()
            .ends_with(&format!("function:{}-dev-default", app.name))
    );
    ok(wsdeploy(em, &app, &["remove", "--yes", "--output", "json"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn full_deploy_diff_change_drift_remove() {
    let em = Emulator::start();
    // full/wsdeploy.yml is in eu-west-1 and names layers, which must exist
    // as in real AWS.
    let sdk = em
        .sdk_config()
        .into_builder()
        .region(aws_config::Region::new("eu-west-1"))
        .build();
    let l = lambda::Client::new(&sdk);
    for (layer, version) in [("common", 3), ("python-utils", 7)] {
        for _ in 0..version {
            l.publish_layer_version()
                .layer_name(layer)
                .content(
                    lambda::types::LayerVersionContentInput::builder()
                        .zip_file(aws_smithy_types::Blob::new(empty_zip()))
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
    }
    let app = app_copy("full", "wsdeploy.yml");
    hosted_zone(&sdk, "example.com").await;
    let cert = issued_certificate(&sdk, "ws-test.example.com").await;
    set_line(
        &app,
        "certificateArn:",
        &format!("  certificateArn: {cert}"),
    );
    let name = app.name.clone();
    let life = Lifecycle {
        stage: "test",
        clients: Clients {
            gw: gw::Client::new(&sdk),
            lambda: lambda::Client::new(&sdk),
            iam: iam::Client::new(&sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
        },
        handler_file: "app/py/ping.py",
        handler_change: "\n# changed\n",
        handler_function: "ping",
        drift_route: "echo",
        drift_timeout_function: "ws",
        drift_timeout: (7, 20),
        drift_permission_function: "sendMessage",
    };
    lifecycle(&em, &app, life, async |c: &Clients| {
        let api = owned_api(c, &name, "test").await.expect("API");
        let routes = routes(c, &api).await;
        let mut two_way: Vec<&str> = routes
            .iter()
            .filter(|r| r.route_response_selection_expression().is_some())
            .filter_map(|r| r.route_key())
            .collect();
        two_way.sort();
        assert_eq!(two_way, ["echo", "sendMessage"]);
        let auths = c.gw.get_authorizers().api_id(&api).send().await.unwrap();
        assert_eq!(
            auths.items()[0].identity_source(),
            [
                "route.request.header.Auth",
                "route.request.querystring.token"
            ]
        );
        assert_eq!(
            auths.items()[0].name(),
            Some(format!("{name}-test-auth").as_str())
        );
        let stage =
            c.gw.get_stage()
                .api_id(&api)
                .stage_name("test")
                .send()
                .await
                .unwrap();
        let d = stage.default_route_settings().unwrap();
        assert_eq!(d.throttling_burst_limit(), Some(200));
        assert_eq!(d.logging_level().map(|l| l.as_str()), Some("ERROR"));
        assert_eq!(d.detailed_metrics_enabled(), Some(true));
        assert_eq!(
            stage.route_settings().unwrap()["sendMessage"].throttling_burst_limit(),
            Some(50)
        );
        assert_eq!(stage.stage_variables().unwrap()["featureFlag"], "on");
        let ping = c
            .lambda
            .get_function()
            .function_name(format!("{name}-test-ping"))
            .send()
            .await
            .unwrap();
        let conf = ping.configuration().unwrap();
        assert_eq!(conf.runtime().map(|r| r.as_str()), Some("python3.12"));
        assert_eq!(
            conf.layers().len(),
            2,
            "defaults' layer, then the function's"
        );
        assert_eq!(
            conf.environment().unwrap().variables().unwrap()["LOG_LEVEL"],
            "warning"
        );
    })
    .await;
}

fn empty_zip() -> Vec<u8> {
    // End-of-central-directory record only: a valid empty archive.
    let mut z = vec![0x50, 0x4b, 0x05, 0x06];
    z.extend([0u8; 18]);
    z
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_function_with_our_name_stops_deploy_and_is_left_alone() {
    let em = Emulator::shared();
    let c = clients(em);
    let app = app_copy("chat", "wsdeploy.yml");
    let name = format!("{}-dev-connect", app.name);
    let role = c
        .iam
        .create_role()
        .role_name(unique_name("someone"))
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
        .send()
        .await
        .unwrap();
    c.lambda
        .create_function()
        .function_name(&name)
        .runtime(lambda::types::Runtime::Nodejs20x)
        .role(role.role().unwrap().arn())
        .handler("index.handler")
        .code(
            lambda::types::FunctionCode::builder()
                .zip_file(aws_smithy_types::Blob::new(empty_zip()))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let before = c
        .lambda
        .get_function()
        .function_name(&name)
        .send()
        .await
        .unwrap();

    let out = wsdeploy(em, &app, &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("Lambda function `{name}`"))
            && stderr.contains("no wsdeploy tags"),
        "{stderr}"
    );
    assert_eq!(
        owned_api(&c, &app.name, "dev").await,
        None,
        "deploy stopped before creating anything"
    );

    ok(wsdeploy(em, &app, &["remove", "--yes"]));
    let after = c
        .lambda
        .get_function()
        .function_name(&name)
        .send()
        .await
        .expect("the foreign function survives remove");
    assert_eq!(
        before.configuration().unwrap().code_sha256(),
        after.configuration().unwrap().code_sha256()
    );
    assert!(after.tags().is_none_or(|t| t.is_empty()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_api_with_our_name_stops_deploy_and_is_left_alone() {
    let em = Emulator::shared();
    let c = clients(em);
    let app = app_copy("minimal", "wsdeploy.yml");
    let api =
        c.gw.create_api()
            .name(format!("{}-dev", app.name))
            .protocol_type(gw::types::ProtocolType::Websocket)
            .route_selection_expression("$request.body.action")
            .send()
            .await
            .unwrap();
    let id = api.api_id().unwrap();
    let out = wsdeploy(em, &app, &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("API `{}-dev ({id})`", app.name)),
        "{}",
        text(&out)
    );
    assert!(
        routes(&c, id).await.is_empty(),
        "the foreign API was modified"
    );
    ok(wsdeploy(em, &app, &["remove", "--yes"]));
    assert!(
        c.gw.get_api().api_id(id).send().await.is_ok(),
        "remove deleted a foreign API"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_and_remove_survive_the_realistic_profile() {
    let em = Emulator::start_with(EmulatorOptions::new().profile("realistic"));
    let c = clients(&em);
    let app = app_copy("chat", "wsdeploy.yml");
    ok(wsdeploy(&em, &app, &["deploy"]));
    ok(wsdeploy(&em, &app, &["diff", "--exit-code"]));
    assert_chat_matches_contract(&c, &app.name).await;
    let faults: Vec<String> = em.calls().into_iter().filter_map(|c| c.fault).collect();
    assert!(
        faults.iter().any(|f| f == "iam_propagation"),
        "the profile should have made deploy wait for IAM: {faults:?}"
    );
    ok(wsdeploy(&em, &app, &["remove", "--yes"]));
    assert_nothing_left(&c, &app.name, "dev").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_exits_130_and_a_rerun_converges() {
    // 200 ms per request makes a deploy take about 4 s: time to interrupt
    // it while it reads (nothing changed yet) and while it applies.
    let em = Emulator::start_with(EmulatorOptions::new().latency_ms(200));
    let app = app_copy("chat", "wsdeploy.yml");
    for delay_ms in [300u64, 2200] {
        let child = cli::command(&em, &app.config, &["deploy"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(delay_ms)).await;
        let kill = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        // A deploy that finished before the signal is fine too; otherwise 130.
        let code = out.status.code();
        assert!(code == Some(130) || code == Some(0), "{}", text(&out));
        if code == Some(130) {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("interrupted"), "{}", text(&out));
            eprintln!(
                "interrupted after {delay_ms} ms: {}",
                stderr
                    .lines()
                    .find(|l| l.starts_with("interrupted"))
                    .unwrap_or("")
            );
        }
    }
    ok(wsdeploy(&em, &app, &["deploy"]));
    ok(wsdeploy(&em, &app, &["diff", "--exit-code"]));
    ok(wsdeploy(&em, &app, &["remove", "--yes"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_authorization_on_connect() {
    let em = Emulator::shared();
    let app = app_copy("full", "wsdeploy.shorthand.yml");
    let sdk = em
        .sdk_config()
        .into_builder()
        .region(aws_config::Region::new("eu-west-1"))
        .build();
    let c = Clients {
        gw: gw::Client::new(&sdk),
        lambda: lambda::Client::new(&sdk),
        iam: iam::Client::new(&sdk),
        logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
    };
    // Its `domain: ws.example.com` needs the zone; the shared emulator
    // issues certificates at once.
    hosted_zone(&sdk, "example.com").await;
    set_line(
        &app,
        "domain:",
        &format!("domain: {}.example.com", app.name),
    );
    ok(wsdeploy(em, &app, &["deploy"]));
    ok(wsdeploy(em, &app, &["diff", "--exit-code"]));
    let api = owned_api(&c, &app.name, "dev").await.expect("API");
    let routes = routes(&c, &api).await;
    let connect = routes
        .iter()
        .find(|r| r.route_key() == Some("$connect"))
        .unwrap();
    assert_eq!(
        connect.authorization_type().map(|a| a.as_str()),
        Some("AWS_IAM")
    );
    assert!(
        c.gw.get_authorizers()
            .api_id(&api)
            .send()
            .await
            .unwrap()
            .items()
            .is_empty()
    );
    ok(wsdeploy(em, &app, &["remove", "--yes"]));
    assert_eq!(owned_api(&c, &app.name, "dev").await, None);
}

/// `remove`, `info` and `unlock` need only what identifies the app: with
/// the code deleted (or a CI job that has only the config) they still work.
#[test]
fn remove_and_info_work_without_the_code() {
    let em = Emulator::shared();
    let app = app_copy("chat", "wsdeploy.yml");
    ok(wsdeploy(em, &app, &["deploy"]));
    std::fs::remove_dir_all(app.dir.join("src")).unwrap();
    let out = wsdeploy(em, &app, &["diff"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "diff needs the code: {}",
        text(&out)
    );
    let out = ok(wsdeploy(em, &app, &["info", "--output", "json"]));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["functions"]["$connect"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next(),
        Some(format!("{}-dev-connect", app.name).as_str()),
        "{v}"
    );
    ok(wsdeploy(em, &app, &["unlock"]));
    ok(wsdeploy(em, &app, &["remove", "--yes"]));
    let out = wsdeploy(em, &app, &["info", "--output", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "NotDeployed", "{v}");
}

/// `--outputs-file`: deploy writes the outputs as JSON (into directories it
/// makes), a no-op deploy writes them again, `info` writes the same
/// document it prints; a run that fails writes nothing.
#[test]
fn the_outputs_file_is_written_by_deploy_a_no_op_deploy_and_info() {
    let em = Emulator::shared();
    let app = app_copy("minimal", "wsdeploy.yml");
    let file = app.dir.join("ci/out/outputs.json");
    let file_arg = file.to_str().unwrap();
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    // Not deployed yet: info fails and writes nothing.
    let out = wsdeploy(em, &app, &["info", "--outputs-file", file_arg]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!file.exists());

    ok(wsdeploy(em, &app, &["deploy", "--outputs-file", file_arg]));
    let written = read(&file);
    let printed = ok(wsdeploy(em, &app, &["info", "--output", "json"]));
    let printed: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(
        written, printed,
        "the file is what `info --output json` prints"
    );
    assert!(
        written["url"].as_str().unwrap().starts_with("wss://"),
        "{written}"
    );
    assert!(
        written["functions"]
            .as_object()
            .is_some_and(|f| !f.is_empty())
    );

    std::fs::remove_file(&file).unwrap();
    let out = ok(wsdeploy(em, &app, &["deploy", "--outputs-file", file_arg]));
    assert!(text(&out).contains("No changes"), "{}", text(&out));
    assert_eq!(read(&file), printed, "a no-op deploy writes the file too");

    let other = app.dir.join("info.json");
    ok(wsdeploy(
        em,
        &app,
        &["info", "--outputs-file", other.to_str().unwrap()],
    ));
    assert_eq!(read(&other), printed);
    let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["outputs.json"], "no partial file is left");

    // A path that cannot be written is an error that names it.
    let blocked = app.dir.join("ci/out/outputs.json/nested.json");
    let out = wsdeploy(
        em,
        &app,
        &["info", "--outputs-file", blocked.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("nested.json"), "{}", text(&out));

    ok(wsdeploy(em, &app, &["remove", "--yes"]));
}
