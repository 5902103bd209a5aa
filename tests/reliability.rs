//! Reliability against the emulator: a deploy or remove killed (SIGKILL)
//! after every one of its mutating calls converges on the next run to the
//! live state an uninterrupted run makes; throttling and conflicts at 30%
//! are survived, at 100% they fail within the retry budget; foreign
//! resources with wsdeploy's names are never touched.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::cli::{self, ok, text};
use support::{Emulator, EmulatorOptions, unique_name};

struct App {
    name: String,
    config: PathBuf,
}

fn wsdeploy(em: &Emulator, app: &App, args: &[&str]) -> Output {
    cli::run(em, &app.config, args)
}

fn command(em: &Emulator, app: &App, args: &[&str]) -> Command {
    cli::command(em, &app.config, args)
}

fn chat(prefix: &str) -> App {
    let (name, config) = cli::chat_copy(prefix);
    App { name, config }
}

/// An app in a scratch directory with one handler file; `body(name)` is
/// the config after its `app:` line.
fn scratch_app(prefix: &str, body: impl Fn(&str) -> String) -> App {
    let name = unique_name(prefix);
    let dir = std::env::temp_dir().join(format!("wsdeploy-reliability-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/default.mjs"),
        "export const handler = async () => ({ statusCode: 200 });\n",
    )
    .unwrap();
    let config = dir.join("wsdeploy.yml");
    std::fs::write(&config, format!("app: {name}\n{}", body(&name))).unwrap();
    App { name, config }
}

/// A one-route app with a custom domain (wsdeploy's certificate, Route 53
/// records) and an access-log group.
fn domain_app(prefix: &str, domain: &str) -> App {
    scratch_app(prefix, |_| {
        format!(
            "region: us-east-1\napi:\n  accessLog: {{ retention: 7 }}\nroutes:\n  $default: src/default.handler\ndomain:\n  name: {domain}\n  path: v1\n"
        )
    })
}

fn successful_writes(em: &Emulator) -> usize {
    em.calls()
        .iter()
        .filter(|c| c.mutating && (200..300).contains(&c.status))
        .count()
}

/// A normalized dump of everything in the account that belongs to, or is
/// named like, the app: ids and timestamps left out, the API's id replaced,
/// lists sorted, so two dumps are equal exactly when the live states are.
async fn dump(em: &Emulator, app: &str) -> Value {
    let sdk = em.sdk_config();
    let gw = aws_sdk_apigatewayv2::Client::new(&sdk);
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);
    let mut out = BTreeMap::new();

    let mut apis = Vec::new();
    let mut token = None;
    loop {
        let page = gw.get_apis().set_next_token(token).send().await.unwrap();
        apis.extend(
            page.items()
                .iter()
                .filter(|a| a.name().is_some_and(|n| n.starts_with(app)))
                .cloned(),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let ids: Vec<String> = apis
        .iter()
        .filter_map(|a| a.api_id().map(str::to_owned))
        .collect();
    let norm = |s: &str| {
        ids.iter()
            .fold(s.to_owned(), |acc, id| acc.replace(id.as_str(), "<api>"))
    };
    let mut api_dumps = Vec::new();
    for a in &apis {
        let id = a.api_id().unwrap();
        let mut integrations = BTreeMap::new();
        let mut token = None;
        loop {
            let page = gw
                .get_integrations()
                .api_id(id)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            for i in page.items() {
                integrations.insert(
                    i.integration_id().unwrap().to_owned(),
                    i.integration_uri().unwrap_or_default().to_owned(),
                );
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        let mut authorizers = BTreeMap::new();
        let mut authorizer_dumps = Vec::new();
        for au in gw
            .get_authorizers()
            .api_id(id)
            .send()
            .await
            .unwrap()
            .items()
        {
            authorizers.insert(
                au.authorizer_id().unwrap().to_owned(),
                au.name().unwrap_or_default().to_owned(),
            );
            authorizer_dumps.push(json!([
                au.name(),
                au.authorizer_uri(),
                au.identity_source()
            ]));
        }
        let mut routes = Vec::new();
        let mut token = None;
        loop {
            let page = gw
                .get_routes()
                .api_id(id)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            for r in page.items() {
                let target = r
                    .target()
                    .and_then(|t| t.strip_prefix("integrations/"))
                    .and_then(|i| integrations.get(i))
                    .cloned();
                let responses = gw
                    .get_route_responses()
                    .api_id(id)
                    .route_id(r.route_id().unwrap())
                    .send()
                    .await
                    .unwrap();
                let keys: Vec<String> = responses
                    .items()
                    .iter()
                    .filter_map(|x| x.route_response_key().map(str::to_owned))
                    .collect();
                routes.push(json!([
                    r.route_key(),
                    target,
                    r.authorization_type().map(|t| t.as_str().to_owned()),
                    r.authorizer_id().and_then(|i| authorizers.get(i)),
                    r.route_response_selection_expression(),
                    keys
                ]));
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        routes.sort_by_key(|r| r.to_string());
        let mut uris: Vec<String> = integrations.values().cloned().collect();
        uris.sort();
        let mut stages = Vec::new();
        for s in gw.get_stages().api_id(id).send().await.unwrap().items() {
            let deployment = match s.deployment_id() {
                Some(d) => gw
                    .get_deployment()
                    .api_id(id)
                    .deployment_id(d)
                    .send()
                    .await
                    .unwrap()
                    .description()
                    .map(str::to_owned),
                None => None,
            };
            let tags: BTreeMap<String, String> =
                s.tags().cloned().unwrap_or_default().into_iter().collect();
            stages.push(json!([
                s.stage_name(),
                format!("{:?}", s.default_route_settings()),
                format!(
                    "{:?}",
                    s.route_settings()
                        .map(|m| m.iter().collect::<BTreeMap<_, _>>())
                ),
                s.stage_variables()
                    .map(|m| m.iter().collect::<BTreeMap<_, _>>()),
                tags,
                deployment
            ]));
        }
        let tags: BTreeMap<String, String> =
            a.tags().cloned().unwrap_or_default().into_iter().collect();
        api_dumps.push(json!({"name": a.name(), "rse": a.route_selection_expression(), "tags": tags, "routes": routes, "integrations": uris, "authorizers": authorizer_dumps, "stages": stages}));
    }
    api_dumps.sort_by_key(|a| a.to_string());
    out.insert("apis", Value::Array(api_dumps));

    let mut functions = Vec::new();
    let mut marker = None;
    loop {
        let page = lambda
            .list_functions()
            .set_marker(marker)
            .send()
            .await
            .unwrap();
        for f in page.functions() {
            let name = f.function_name().unwrap_or_default();
            if !name.starts_with(app) {
                continue;
            }
            let full = lambda
                .get_function()
                .function_name(name)
                .send()
                .await
                .unwrap();
            let c = full.configuration().unwrap();
            let env: BTreeMap<String, String> = c
                .environment()
                .and_then(|e| e.variables())
                .map(|v| v.iter().map(|(k, v)| (k.clone(), norm(v))).collect())
                .unwrap_or_default();
            let tags: BTreeMap<String, String> = full
                .tags()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .collect();
            let policy = match lambda.get_policy().function_name(name).send().await {
                Ok(p) => {
                    let doc: Value = serde_json::from_str(p.policy().unwrap_or("{}")).unwrap();
                    let mut sts: Vec<String> = doc["Statement"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .iter()
                        .map(|s| {
                            norm(
                                &json!([s["Sid"], s["Principal"], s["Action"], s["Condition"]])
                                    .to_string(),
                            )
                        })
                        .collect();
                    sts.sort();
                    sts
                }
                Err(_) => vec![],
            };
            functions.push(json!([
                name,
                c.runtime().map(|r| r.as_str().to_owned()),
                c.handler(),
                c.role(),
                c.memory_size(),
                c.timeout(),
                c.code_sha256(),
                env,
                tags,
                policy
            ]));
        }
        marker = page.next_marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    functions.sort_by_key(|f| f.to_string());
    out.insert("functions", Value::Array(functions));

    let mut roles = Vec::new();
    let mut marker = None;
    loop {
        let page = iam.list_roles().set_marker(marker).send().await.unwrap();
        for r in page.roles() {
            if !r.role_name().starts_with(app) {
                continue;
            }
            let name = r.role_name();
            let mut policies = Vec::new();
            let list = iam
                .list_role_policies()
                .role_name(name)
                .max_items(100)
                .send()
                .await
                .unwrap();
            for p in list.policy_names() {
                let doc = iam
                    .get_role_policy()
                    .role_name(name)
                    .policy_name(p)
                    .send()
                    .await
                    .unwrap();
                policies.push(json!([p, norm(doc.policy_document())]));
            }
            let tags = iam
                .list_role_tags()
                .role_name(name)
                .max_items(100)
                .send()
                .await
                .unwrap();
            let mut tags: Vec<(String, String)> = tags
                .tags()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect();
            tags.sort();
            roles.push(json!([name, r.path(), policies, tags]));
        }
        marker = page
            .marker()
            .map(str::to_owned)
            .filter(|_| page.is_truncated());
        if marker.is_none() {
            break;
        }
    }
    roles.sort_by_key(|r| r.to_string());
    out.insert("roles", Value::Array(roles));

    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/apigateway/{app}"))
        .send()
        .await
        .unwrap();
    let mut group_dumps = Vec::new();
    for g in groups.log_groups() {
        let arn = format!(
            "arn:aws:logs:us-east-1:123456789012:log-group:{}",
            g.log_group_name().unwrap()
        );
        let tags: BTreeMap<String, String> = logs
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .unwrap()
            .tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect();
        group_dumps.push(json!([g.log_group_name(), g.retention_in_days(), tags]));
    }
    out.insert("logGroups", Value::Array(group_dumps));

    // Account-wide domain resources: every domain name, its mappings, every
    // certificate, every record in every zone (targets and validation
    // values normalized: they are generated).
    let mut domains = Vec::new();
    let mut targets = Vec::new();
    for d in gw.get_domain_names().send().await.unwrap().items() {
        let name = d.domain_name().unwrap_or_default();
        let conf = &d.domain_name_configurations()[0];
        targets.push(
            conf.api_gateway_domain_name()
                .unwrap_or_default()
                .to_owned(),
        );
        let mappings: Vec<Value> = gw
            .get_api_mappings()
            .domain_name(name)
            .send()
            .await
            .unwrap()
            .items()
            .iter()
            .map(|m| {
                json!([
                    norm(m.api_id().unwrap_or_default()),
                    m.stage(),
                    m.api_mapping_key()
                ])
            })
            .collect();
        let tags = gw
            .get_tags()
            .resource_arn(format!("arn:aws:apigateway:us-east-1::/domainnames/{name}"))
            .send()
            .await
            .unwrap();
        let tags: BTreeMap<String, String> = tags
            .tags()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect();
        domains.push(json!([
            name,
            conf.certificate_arn().is_some(),
            mappings,
            tags
        ]));
    }
    out.insert("domains", Value::Array(domains));
    let acm = aws_sdk_acm::Client::new(&sdk);
    let mut certs: Vec<Value> = Vec::new();
    for c in acm
        .list_certificates()
        .send()
        .await
        .unwrap()
        .certificate_summary_list()
    {
        let tags = acm
            .list_tags_for_certificate()
            .certificate_arn(c.certificate_arn().unwrap())
            .send()
            .await
            .unwrap();
        let tags: Vec<(String, Option<String>)> = tags
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().map(str::to_owned)))
            .collect();
        certs.push(json!([
            c.domain_name(),
            c.status().map(|s| s.as_str().to_owned()),
            tags
        ]));
    }
    certs.sort_by_key(|c| c.to_string());
    out.insert("certificates", Value::Array(certs));
    let r53 = aws_sdk_route53::Client::new(&sdk);
    let mut records = Vec::new();
    for z in r53.list_hosted_zones().send().await.unwrap().hosted_zones() {
        let sets = r53
            .list_resource_record_sets()
            .hosted_zone_id(z.id())
            .max_items(300)
            .send()
            .await
            .unwrap();
        for r in sets.resource_record_sets() {
            let value = r
                .alias_target()
                .map(|a| {
                    if targets
                        .iter()
                        .any(|t| a.dns_name().trim_end_matches('.') == t)
                    {
                        "<domain target>".to_owned()
                    } else {
                        a.dns_name().to_owned()
                    }
                })
                .or_else(|| {
                    r.resource_records().first().map(|v| {
                        if r.r#type().as_str() == "CNAME" {
                            "<validation>".to_owned()
                        } else {
                            v.value().to_owned()
                        }
                    })
                })
                .unwrap_or_default();
            let name = if r.r#type().as_str() == "CNAME" {
                "<validation name>".to_owned()
            } else {
                r.name().to_owned()
            };
            records.push(json!([name, r.r#type().as_str(), value]));
        }
    }
    records.sort_by_key(|r| r.to_string());
    out.insert("records", Value::Array(records));
    out.insert("log_groups", Value::Array(log_groups(&sdk, app).await));
    out.insert("settings", settings(&sdk, app).await);
    json!(out)
}

/// Issue 15's settings of every function named after the app (and of its
/// role): what the configuration holds beyond the basics, reserved
/// concurrency, the alias `live` (the code of its version, its provisioned
/// concurrency, its policy) and the role's managed policies and boundary.
async fn settings(sdk: &aws_config::SdkConfig, app: &str) -> Value {
    let lambda = aws_sdk_lambda::Client::new(sdk);
    let iam = aws_sdk_iam::Client::new(sdk);
    let mut out = BTreeMap::new();
    let listed: Vec<_> = lambda
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    for f in &listed {
        let name = f.function_name().unwrap_or_default();
        if !name.starts_with(app) {
            continue;
        }
        let full = lambda
            .get_function()
            .function_name(name)
            .send()
            .await
            .unwrap();
        let c = full.configuration().unwrap();
        let alias = lambda
            .get_function()
            .function_name(name)
            .qualifier("live")
            .send()
            .await
            .ok()
            .and_then(|a| {
                a.configuration()
                    .and_then(|c| c.code_sha256())
                    .map(str::to_owned)
            });
        let provisioned = lambda
            .get_provisioned_concurrency_config()
            .function_name(name)
            .qualifier("live")
            .send()
            .await
            .ok()
            .and_then(|p| p.requested_provisioned_concurrent_executions());
        let alias_policy = lambda
            .get_policy()
            .function_name(name)
            .qualifier("live")
            .send()
            .await
            .ok()
            .map(|p| {
                let doc: Value = serde_json::from_str(p.policy().unwrap_or("{}")).unwrap();
                let mut sids: Vec<String> = doc["Statement"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| s["Sid"].to_string())
                    .collect();
                sids.sort();
                sids
            });
        let role = c
            .role()
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or_default();
        let attached: Vec<String> = match iam
            .list_attached_role_policies()
            .role_name(role)
            .send()
            .await
        {
            Ok(a) => a
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_owned))
                .collect(),
            Err(_) => vec![],
        };
        let boundary = iam
            .get_role()
            .role_name(role)
            .send()
            .await
            .ok()
            .and_then(|r| {
                r.role()
                    .and_then(|r| r.permissions_boundary())
                    .and_then(|b| b.permissions_boundary_arn())
                    .map(str::to_owned)
            });
        out.insert(
            name.to_owned(),
            json!({
                "description": c.description(),
                "tracing": c.tracing_config().and_then(|t| t.mode()).map(|m| m.as_str().to_owned()),
                "storage": c.ephemeral_storage().map(|e| e.size()),
                "kms": c.kms_key_arn(),
                "subnets": c.vpc_config().map(|v| v.subnet_ids().to_vec()),
                "reserved": full.concurrency().and_then(|x| x.reserved_concurrent_executions()),
                "alias": alias,
                "provisioned": provisioned,
                "aliasPolicy": alias_policy,
                "attached": attached,
                "boundary": boundary,
            }),
        );
    }
    json!(out)
}

/// The top-level parts of two dumps that differ, both sides shown.
fn differences(a: &Value, b: &Value) -> String {
    let keys: std::collections::BTreeSet<&String> = a
        .as_object()
        .into_iter()
        .chain(b.as_object())
        .flat_map(|o| o.keys())
        .collect();
    keys.into_iter()
        .filter(|k| a[k.as_str()] != b[k.as_str()])
        .map(|k| {
            format!(
                "\n{k}:\n  live:      {}\n  reference: {}",
                a[k.as_str()],
                b[k.as_str()]
            )
        })
        .collect()
}

/// Every log group named after the app (its functions' groups, the
/// access-log group): name, retention and tags.
async fn log_groups(sdk: &aws_config::SdkConfig, app: &str) -> Vec<Value> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(sdk);
    let mut groups = Vec::new();
    for prefix in [
        format!("/aws/lambda/{app}-"),
        format!("/aws/apigateway/{app}-"),
    ] {
        let mut token = None;
        loop {
            let page = logs
                .describe_log_groups()
                .log_group_name_prefix(&prefix)
                .set_next_token(token)
                .send()
                .await
                .unwrap();
            for g in page.log_groups() {
                let tags = logs
                    .list_tags_for_resource()
                    .resource_arn(g.log_group_arn().unwrap())
                    .send()
                    .await
                    .unwrap();
                let tags: BTreeMap<String, String> = tags
                    .tags()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                groups.push(json!([g.log_group_name(), g.retention_in_days(), tags]));
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
    }
    groups.sort_by_key(|g| g.to_string());
    groups
}

/// The run after a kill at write `k` of `total` succeeds.
fn rerun_succeeds(em: &Emulator, app: &App, args: &[&str], k: usize, total: usize) {
    let out = wsdeploy(em, app, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "re-run after a kill at write {k}/{total}:\n{}",
        text(&out)
    );
}

/// After that run, `diff --exit-code` finds nothing to change.
fn nothing_to_change(em: &Emulator, app: &App, k: usize, total: usize) {
    let out = wsdeploy(em, app, &["diff", "--exit-code"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "after a kill at write {k}/{total}:\n{}",
        text(&out)
    );
}

/// Starts `args`, lets `k` writes through, kills the process with SIGKILL
/// once they are done (or it has finished), and lifts the freeze.
fn run_killed_after(em: &Emulator, app: &App, args: &[&str], k: usize) -> Option<i32> {
    em.clear_calls();
    em.set_faults(json!({"freeze_after_mutations": k}));
    let mut child: Child = command(em, app, args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let exited = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        // The freeze counts every write let through, answered with an
        // error or not (a lock found held is a refused CreateLogGroup).
        let through = em.calls().iter().filter(|c| c.mutating).count();
        if through >= k {
            // Give the k-th answer a moment to reach the process, then kill.
            std::thread::sleep(Duration::from_millis(20));
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the run neither wrote {k} times nor ended: {:?}",
            em.calls()
                .iter()
                .filter(|c| c.mutating)
                .map(|c| format!("{} {}", c.operation, c.status))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    em.set_faults(json!({"freeze_after_mutations": null}));
    exited
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_killed_after_any_write_converges() {
    let em = Emulator::start();
    let app = chat("crash");
    // The reference: an uninterrupted deploy.
    em.clear_calls();
    ok(wsdeploy(&em, &app, &["deploy"]));
    let total = successful_writes(&em);
    let reference = dump(&em, &app.name).await;
    assert!(
        total >= 40,
        "chat's deploy should write about 42 times, wrote {total}"
    );

    let mut killed = 0;
    for k in 1..=total {
        em.reset();
        killed += usize::from(run_killed_after(&em, &app, &["deploy"], k).is_none());
        rerun_succeeds(&em, &app, &["deploy"], k, total);
        nothing_to_change(&em, &app, k, total);
        let live = dump(&em, &app.name).await;
        assert!(
            live == reference,
            "live state after a kill at write {k}/{total} and one re-run differs: {}",
            differences(&live, &reference)
        );
    }
    assert!(
        killed + 1 >= total,
        "only {killed} of {total} runs were killed mid-way"
    );
    eprintln!(
        "deploy: killed after each of {total} writes ({killed} kills); each time one more deploy converged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remove_killed_after_any_write_leaves_nothing_after_one_more() {
    let em = Emulator::start();
    let app = chat("crashrm");
    ok(wsdeploy(&em, &app, &["deploy"]));
    em.clear_calls();
    ok(wsdeploy(&em, &app, &["remove", "--yes"]));
    let total = successful_writes(&em);
    let empty = dump(&em, &app.name).await;
    assert_eq!(empty["apis"], json!([]));
    assert_eq!(empty["functions"], json!([]));
    assert_eq!(empty["roles"], json!([]));
    assert_eq!(empty["log_groups"], json!([]));

    let mut killed = 0;
    for k in 1..=total {
        em.reset();
        ok(wsdeploy(&em, &app, &["deploy"]));
        killed += usize::from(run_killed_after(&em, &app, &["remove", "--yes"], k).is_none());
        rerun_succeeds(&em, &app, &["remove", "--yes"], k, total);
        assert_eq!(
            dump(&em, &app.name).await,
            empty,
            "something is left after a kill at write {k}/{total}"
        );
    }
    assert!(
        killed + 1 >= total,
        "only {killed} of {total} runs were killed mid-way"
    );
    eprintln!(
        "remove: killed after each of {total} writes ({killed} kills); each time one more remove left nothing"
    );
}

/// An app that uses issue 15's writes: a function with provisioned
/// concurrency (version, alias, its configuration), reserved concurrency,
/// a managed policy and a boundary on its role, and an external function
/// behind a second route.
async fn settings_app(em: &Emulator, prefix: &str) -> App {
    let iam = aws_sdk_iam::Client::new(&em.sdk_config());
    let boundary = iam
        .create_policy()
        .policy_name(unique_name("boundary"))
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let app = scratch_app(prefix, |_| String::new());
    // The external function, named after the app so the dump sees it.
    let external = format!("{}-external", app.name);
    let role = iam
        .create_role()
        .role_name(unique_name("extrole"))
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#)
        .send()
        .await
        .unwrap();
    let mut zip = b"PK\x05\x06".to_vec();
    zip.extend([0u8; 18]);
    aws_sdk_lambda::Client::new(&em.sdk_config())
        .create_function()
        .function_name(&external)
        .runtime(aws_sdk_lambda::types::Runtime::Nodejs20x)
        .role(role.role().unwrap().arn())
        .handler("index.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_smithy_types::Blob::new(zip))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let body = format!(
        "app: {}\ndefaults:\n  function:\n    provisionedConcurrency: 1\n    reservedConcurrency: 3\n    managedPolicies: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]\n    permissionsBoundary: {boundary}\nroutes:\n  $default: src/default.handler\n  legacy:\n    function: arn:aws:lambda:us-east-1:123456789012:function:{external}\n",
        app.name
    );
    std::fs::write(&app.config, body).unwrap();
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_and_remove_with_every_setting_killed_after_any_write_converge() {
    let em = Emulator::start();
    let app = settings_app(&em, "crashset").await;
    // The reference: an uninterrupted deploy (on a state with the external
    // function and the boundary, which a reset would lose: so no reset, a
    // remove between runs instead).
    em.clear_calls();
    ok(wsdeploy(&em, &app, &["deploy"]));
    let total = successful_writes(&em);
    let reference = dump(&em, &app.name).await;
    ok(wsdeploy(&em, &app, &["remove", "--yes"]));
    let empty = dump(&em, &app.name).await;
    for k in 1..=total {
        run_killed_after(&em, &app, &["deploy"], k);
        rerun_succeeds(&em, &app, &["deploy"], k, total);
        nothing_to_change(&em, &app, k, total);
        assert_eq!(
            dump(&em, &app.name).await,
            reference,
            "after a kill at deploy write {k}/{total}"
        );
        // And the same for remove, at a write as far in as there are.
        em.clear_calls();
        ok(wsdeploy(&em, &app, &["remove", "--yes"]));
        let removal = successful_writes(&em);
        ok(wsdeploy(&em, &app, &["deploy"]));
        run_killed_after(&em, &app, &["remove", "--yes"], k.min(removal));
        ok(wsdeploy(&em, &app, &["remove", "--yes"]));
        assert_eq!(
            dump(&em, &app.name).await,
            empty,
            "after a kill at remove write {k}"
        );
    }
    eprintln!(
        "settings: killed deploy after each of {total} writes, and remove likewise; each time one more run converged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_percent_throttling_and_conflicts_are_survived() {
    let em = Emulator::start_with(
        EmulatorOptions::new()
            .fault("throttle_rate", json!(0.3))
            .fault("conflict_rate", json!(0.3))
            .fault("seed", json!(7)),
    );
    let app = chat("flaky");
    ok(wsdeploy(&em, &app, &["deploy"]));
    let faults = em.calls().iter().filter(|c| c.fault.is_some()).count();
    assert!(
        faults > 10,
        "the profile should have injected many faults, saw {faults}"
    );
    em.set_faults(json!({"throttle_rate": 0.0, "conflict_rate": 0.0}));
    ok(wsdeploy(&em, &app, &["diff", "--exit-code"]));
    em.set_faults(json!({"throttle_rate": 0.3, "conflict_rate": 0.3}));
    ok(wsdeploy(&em, &app, &["remove", "--yes"]));
    em.set_faults(json!({"throttle_rate": 0.0, "conflict_rate": 0.0}));
    let left = dump(&em, &app.name).await;
    for kind in [
        "apis",
        "functions",
        "roles",
        "logGroups",
        "domains",
        "certificates",
    ] {
        assert_eq!(left[kind], json!([]), "{kind} left: {left}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn constant_throttling_fails_within_the_budget_and_names_the_operation() {
    let em = Emulator::start();
    let app = chat("choke");
    // Reads succeed, every write is refused: deploy must give up, not hang.
    em.set_faults(json!({"conflict_rate": 1.0}));
    let start = Instant::now();
    let out = wsdeploy(&em, &app, &["deploy", "--retry-budget", "2"]);
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("CreateApi") && stderr.contains("ConflictException"),
        "{stderr}"
    );
    assert!(
        stderr.contains("retry budget for this error is 2 s"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(60), "gave up after {took:?}");

    // Everything throttled, reads included.
    em.set_faults(json!({"conflict_rate": 0.0, "throttle_rate": 1.0}));
    let start = Instant::now();
    let out = wsdeploy(&em, &app, &["deploy", "--retry-budget", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("failed")
            && (stderr.contains("Throttl") || stderr.contains("TooManyRequests")),
        "{stderr}"
    );
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_domain_deploy_and_remove_killed_after_any_write_converge() {
    let em = Emulator::start();
    let zone = aws_sdk_route53::Client::new(&em.sdk_config())
        .create_hosted_zone()
        .name("example.com")
        .caller_reference("crash")
        .send()
        .await
        .unwrap()
        .hosted_zone()
        .unwrap()
        .id()
        .to_owned();
    let _ = zone;
    let app = domain_app("crashdom", "crash.example.com");
    let before = dump(&em, &app.name).await;
    em.clear_calls();
    ok(wsdeploy(&em, &app, &["deploy"]));
    let total = successful_writes(&em);
    let reference = dump(&em, &app.name).await;
    assert_eq!(reference["domains"].as_array().unwrap().len(), 1);
    em.clear_calls();
    ok(wsdeploy(&em, &app, &["remove", "--yes"]));
    let total_remove = successful_writes(&em);
    assert_eq!(
        dump(&em, &app.name).await,
        before,
        "remove leaves the account as it was"
    );

    let mut killed = 0;
    for k in 1..=total {
        ok(wsdeploy(&em, &app, &["remove", "--yes"]));
        killed += usize::from(run_killed_after(&em, &app, &["deploy"], k).is_none());
        rerun_succeeds(&em, &app, &["deploy"], k, total);
        assert_eq!(
            dump(&em, &app.name).await,
            reference,
            "after a kill at write {k}/{total}"
        );
    }
    for k in 1..=total_remove {
        killed += usize::from(run_killed_after(&em, &app, &["remove", "--yes"], k).is_none());
        let out = wsdeploy(&em, &app, &["remove", "--yes"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "re-run after a kill at remove write {k}/{total_remove}:\n{}",
            text(&out)
        );
        assert_eq!(
            dump(&em, &app.name).await,
            before,
            "after a kill at remove write {k}/{total_remove}"
        );
        ok(wsdeploy(&em, &app, &["deploy"]));
    }
    eprintln!(
        "domain app: killed deploy after each of {total} writes and remove after each of {total_remove} ({killed} kills); each time one more run converged"
    );
}

/// Starts two commands at once and waits for both.
fn both(em: &Emulator, a: (&App, &[&str]), b: (&App, &[&str])) -> (Output, Output) {
    let first = command(em, a.0, a.1)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let second = command(em, b.0, b.1)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn two_deploys_at_once_take_turns() {
    // 30 ms per request: each deploy takes a second or two, so they overlap.
    let em = Emulator::start_with(EmulatorOptions::new().latency_ms(30));
    let app = chat("twice");
    let (one, two) = both(&em, (&app, &["deploy"]), (&app, &["deploy"]));
    let one = ok(one);
    let two = ok(two);
    let waited = [&one, &two]
        .iter()
        .filter(|o| {
            String::from_utf8_lossy(&o.stderr).contains("waiting for the lock held by `deploy`")
        })
        .count();
    assert_eq!(
        waited,
        1,
        "exactly one run waited:\n{}\n{}",
        text(&one),
        text(&two)
    );
    // The second found nothing left to do after the first: one of each.
    let creates = |op: &str| {
        em.calls()
            .iter()
            .filter(|c| c.operation == op && (200..300).contains(&c.status))
            .count()
    };
    assert_eq!(creates("CreateApi"), 1);
    assert_eq!(creates("CreateFunction"), 5);
    assert_eq!(creates("CreateDeployment"), 1);
    ok(wsdeploy(&em, &app, &["diff", "--exit-code"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_and_a_remove_at_once_do_not_interleave() {
    let em = Emulator::start_with(EmulatorOptions::new().latency_ms(30));
    let app = chat("race");
    ok(wsdeploy(&em, &app, &["deploy"]));
    // Change the code so that deploy has something to do.
    let handler = app.config.parent().unwrap().join("src/default.ts");
    std::fs::write(
        &handler,
        std::fs::read_to_string(&handler).unwrap() + "\nexport const v2 = 2;\n",
    )
    .unwrap();
    let (deploy, remove) = both(&em, (&app, &["deploy"]), (&app, &["remove", "--yes"]));
    assert!(
        deploy.status.code().is_some() && remove.status.code() == Some(0),
        "{}\n{}",
        text(&deploy),
        text(&remove)
    );
    // Whichever went second saw the first's result: either everything is
    // there and in sync, or nothing is.
    let live = dump(&em, &app.name).await;
    let deployed = !live["apis"].as_array().unwrap().is_empty();
    if deployed {
        ok(wsdeploy(&em, &app, &["diff", "--exit-code"]));
        assert_eq!(live["functions"].as_array().unwrap().len(), 5);
    } else {
        for kind in ["functions", "roles"] {
            assert_eq!(live[kind], json!([]), "half removed: {live}");
        }
    }
}

/// A lock of the app's dev stage left by a run on another machine (a host
/// that is not this one): `ci-runner-7:4242`.
async fn hold_lock_elsewhere(em: &Emulator, app: &App) {
    aws_sdk_cloudwatchlogs::Client::new(&em.sdk_config())
        .create_log_group()
        .log_group_name(format!("/wsdeploy/locks/{}/dev", app.name))
        .tags("wsdeploy:lock-owner", "ci-runner-7:4242")
        .tags("wsdeploy:lock-since", "1700000000")
        .tags("wsdeploy:lock-command", "deploy")
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_lock_times_out_with_who_holds_it_and_unlock_breaks_it() {
    let em = Emulator::start();
    let app = chat("held");
    hold_lock_elsewhere(&em, &app).await;
    let start = Instant::now();
    let out = wsdeploy(&em, &app, &["deploy", "--lock-timeout", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ci-runner-7:4242") && stderr.contains("wsdeploy unlock"),
        "{stderr}"
    );
    assert!(start.elapsed() >= Duration::from_secs(2));
    assert_eq!(
        dump(&em, &app.name).await["apis"],
        json!([]),
        "nothing was written without the lock"
    );
    let out = ok(wsdeploy(&em, &app, &["unlock"]));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ci-runner-7:4242"),
        "{}",
        text(&out)
    );
    ok(wsdeploy(&em, &app, &["deploy", "--lock-timeout", "2"]));
    ok(wsdeploy(&em, &app, &["remove", "--yes"]));
}

fn writes_of(em: &Emulator) -> Vec<(String, u16)> {
    em.calls()
        .into_iter()
        .filter(|c| c.mutating)
        .map(|c| (c.operation, c.status))
        .collect()
}

/// A code-only change takes no lock, but it never writes while another run
/// holds the lock, and an upload refused as stale (someone updated the
/// function after it was read) or for now (an update in progress) sends
/// the run down the locked path.
#[tokio::test(flavor = "multi_thread")]
async fn a_code_only_deploy_respects_the_lock_and_stale_revisions() {
    let em = Emulator::start();
    let app = scratch_app("codeonly", |_| {
        "region: us-east-1\nroutes:\n  $default: src/default.handler\n".to_owned()
    });
    ok(wsdeploy(&em, &app, &["deploy"]));
    let handler = app.config.with_file_name("src/default.mjs");
    let change = |n: usize| {
        let mut code = std::fs::read_to_string(&handler).unwrap();
        code.push_str(&format!("export const change{n} = {n};\n"));
        std::fs::write(&handler, code).unwrap();
    };

    // Plain: one conditional upload and nothing else.
    change(1);
    em.clear_calls();
    ok(wsdeploy(&em, &app, &["deploy"]));
    assert_eq!(writes_of(&em), [("UpdateFunctionCode".to_owned(), 200)]);

    // The lock is held by another run: the upload waits for it like any
    // other write, and here times out without writing.
    hold_lock_elsewhere(&em, &app).await;
    change(2);
    em.clear_calls();
    let out = wsdeploy(&em, &app, &["deploy", "--lock-timeout", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ci-runner-7:4242"));
    assert!(
        writes_of(&em).iter().all(|(op, _)| op == "CreateLogGroup"),
        "nothing but attempts at the lock: {:?}",
        writes_of(&em)
    );
    ok(wsdeploy(&em, &app, &["unlock"]));

    // Someone updated the function after this run read it: the conditional
    // upload is refused, and the run takes the lock, reads again, uploads.
    em.set_faults(json!({"stale_revisions": 1}));
    em.clear_calls();
    let out = ok(wsdeploy(&em, &app, &["deploy"]));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("taking the lock and planning again"),
        "{}",
        text(&out)
    );
    assert_eq!(
        writes_of(&em),
        [
            ("UpdateFunctionCode".to_owned(), 412),
            ("CreateLogGroup".to_owned(), 200),
            ("UpdateFunctionCode".to_owned(), 200),
            ("DeleteLogGroup".to_owned(), 200),
        ]
    );
    em.set_faults(json!({"stale_revisions": 0}));
    ok(wsdeploy(&em, &app, &["diff", "--exit-code"]));

    // Someone else's update is in progress: the upload is refused for now
    // (409, no retry on this path), and the locked path waits it out.
    em.set_faults(json!({"lambda_update_ms": 1500}));
    let lambda = aws_sdk_lambda::Client::new(&em.sdk_config());
    let function = format!("{}-dev-default", app.name);
    let timeout = lambda
        .get_function_configuration()
        .function_name(&function)
        .send()
        .await
        .unwrap()
        .timeout()
        .unwrap();
    lambda
        .update_function_configuration()
        .function_name(&function)
        .timeout(timeout)
        .send()
        .await
        .unwrap();
    change(3);
    em.clear_calls();
    let out = ok(wsdeploy(&em, &app, &["deploy"]));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused for now"),
        "{}",
        text(&out)
    );
    let writes = writes_of(&em);
    assert_eq!(
        writes[0],
        ("UpdateFunctionCode".to_owned(), 409),
        "{writes:?}"
    );
    assert_eq!(writes[1], ("CreateLogGroup".to_owned(), 200), "{writes:?}");
    assert_eq!(
        writes[writes.len() - 2..],
        [
            ("UpdateFunctionCode".to_owned(), 200),
            ("DeleteLogGroup".to_owned(), 200)
        ],
        "{writes:?}"
    );
    em.set_faults(json!({"lambda_update_ms": 0}));
    ok(wsdeploy(&em, &app, &["diff", "--exit-code"]));
    ok(wsdeploy(&em, &app, &["remove", "--yes"]));
}

/// One foreign resource per kind, each with a name this app's deploy would
/// use: untagged, or tagged for another app or stage. Deploy must stop and
/// name every one; remove must leave them all; none is modified.
#[tokio::test(flavor = "multi_thread")]
async fn foreign_resources_of_every_kind_are_never_touched() {
    let em = Emulator::start();
    let sdk = em.sdk_config();
    let app = scratch_app("owner", |name| {
        format!(
            "region: us-east-1\napi:\n  accessLog: true\nroutes:\n  $default: src/default.handler\n  $connect: src/default.handler\ndomain: {name}.example.com\n"
        )
    });
    let name = app.name.clone();
    aws_sdk_route53::Client::new(&sdk)
        .create_hosted_zone()
        .name("example.com")
        .caller_reference("owner")
        .send()
        .await
        .unwrap();

    let gw = aws_sdk_apigatewayv2::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);
    let lambda = aws_sdk_lambda::Client::new(&sdk);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let acm = aws_sdk_acm::Client::new(&sdk);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    // API of our name, tagged for another stage.
    let api = gw
        .create_api()
        .name(format!("{name}-dev"))
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Websocket)
        .route_selection_expression("$request.body.action")
        .tags("wsdeploy:app", &name)
        .tags("wsdeploy:stage", "prod")
        .send()
        .await
        .unwrap();
    // Role of our function's name on another path.
    let role = iam
        .create_role()
        .role_name(format!("{name}-dev-default"))
        .path("/elsewhere/")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    // Function of our name, tagged for another app.
    lambda
        .create_function()
        .function_name(format!("{name}-dev-connect"))
        .runtime(aws_sdk_lambda::types::Runtime::Nodejs20x)
        .role(role.role().unwrap().arn())
        .handler("index.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_smithy_types::Blob::new(vec![
                    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                ]))
                .build(),
        )
        .tags("wsdeploy:app", "someone-else")
        .tags("wsdeploy:stage", "dev")
        .send()
        .await
        .unwrap();
    // Untagged log group of our access-log name.
    logs.create_log_group()
        .log_group_name(format!("/aws/apigateway/{name}-dev"))
        .send()
        .await
        .unwrap();
    // Untagged custom domain of our domain name.
    let cert = acm
        .request_certificate()
        .domain_name(format!("{name}.example.com"))
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .unwrap();
    gw.create_domain_name()
        .domain_name(format!("{name}.example.com"))
        .domain_name_configurations(
            aws_sdk_apigatewayv2::types::DomainNameConfiguration::builder()
                .certificate_arn(cert.certificate_arn().unwrap())
                .endpoint_type(aws_sdk_apigatewayv2::types::EndpointType::Regional)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let before = dump(&em, &name).await;
    em.clear_calls();
    let out = wsdeploy(&em, &app, &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (kind, what) in [
        ("API", format!("{name}-dev ({})", api.api_id().unwrap())),
        ("IAM role", format!("{name}-dev-default")),
        ("Lambda function", format!("{name}-dev-connect")),
        ("log group", format!("/aws/apigateway/{name}-dev")),
        ("custom domain", format!("{name}.example.com")),
    ] {
        assert!(
            stderr.contains(&format!("{kind} `{what}`")),
            "deploy does not name the foreign {kind} `{what}`:\n{stderr}"
        );
    }
    let writes: Vec<String> = em
        .calls()
        .into_iter()
        .filter(|c| c.mutating)
        .map(|c| c.operation)
        .collect();
    assert_eq!(writes, Vec::<String>::new(), "deploy wrote before stopping");
    ok(wsdeploy(&em, &app, &["remove", "--yes"]));
    assert_eq!(
        dump(&em, &name).await,
        before,
        "remove touched a foreign resource"
    );
}
