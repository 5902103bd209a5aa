//! Custom domains and access logs against the emulator: a hosted-zone
//! domain with a path, a wildcard, a certificate given by the user,
//! external DNS, two apps on one domain, a foreign record, a certificate
//! that stays pending past the timeout, the domain-name quota, and access
//! logs switched on and off. Each test has its own emulator: domain names,
//! zones and certificates are account-wide.

mod support;

use std::path::PathBuf;
use std::process::Output;

use aws_config::SdkConfig;
use serde_json::json;
use support::cli::{self, ok, text};
use support::emulator::REGION;
use support::{Emulator, EmulatorOptions, unique_name};

struct App {
    name: String,
    dir: PathBuf,
}

impl App {
    fn config(&self) -> PathBuf {
        self.dir.join("wsdeploy.yml")
    }
}

fn wsdeploy(em: &Emulator, app: &App, args: &[&str]) -> Output {
    cli::run(em, &app.config(), args)
}

/// A one-route app whose config ends with `extra` (domain, accessLog...).
fn app(prefix: &str, extra: &str) -> App {
    let name = unique_name(prefix);
    let dir = std::env::temp_dir().join(format!("wsdeploy-domains-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/default.mjs"),
        "export const handler = async () => ({ statusCode: 200 });\n",
    )
    .unwrap();
    let app = App { name, dir };
    write_config(&app, extra);
    app
}

fn write_config(app: &App, extra: &str) {
    let text = format!(
        "app: {}\nregion: {REGION}\nroutes:\n  $default: src/default.handler\n{extra}",
        app.name
    );
    std::fs::write(app.config(), text).unwrap();
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

async fn zone(sdk: &SdkConfig, name: &str) -> String {
    let r = aws_sdk_route53::Client::new(sdk);
    let out = r
        .create_hosted_zone()
        .name(name)
        .caller_reference(unique_name("zone"))
        .send()
        .await
        .unwrap();
    out.hosted_zone().unwrap().id().to_owned()
}

/// (name, type, alias target or value) of every record but NS and SOA.
async fn records(sdk: &SdkConfig, zone_id: &str) -> Vec<(String, String, String)> {
    let r = aws_sdk_route53::Client::new(sdk);
    let mut all = Vec::new();
    let mut start: Option<(String, aws_sdk_route53::types::RrType)> = None;
    loop {
        let mut req = r.list_resource_record_sets().hosted_zone_id(zone_id);
        if let Some((n, t)) = start.take() {
            req = req.start_record_name(n).start_record_type(t);
        }
        let out = req.send().await.unwrap();
        for s in out.resource_record_sets() {
            if matches!(s.r#type().as_str(), "NS" | "SOA") {
                continue;
            }
            let value = s
                .alias_target()
                .map(|a| a.dns_name().to_owned())
                .or_else(|| s.resource_records().first().map(|r| r.value().to_owned()))
                .unwrap_or_default();
            all.push((
                s.name().replace("\\052", "*"),
                s.r#type().as_str().to_owned(),
                value,
            ));
        }
        if !out.is_truncated() {
            return all;
        }
        start = Some((
            out.next_record_name().unwrap().to_owned(),
            out.next_record_type().unwrap().clone(),
        ));
    }
}

async fn domain_names(sdk: &SdkConfig) -> Vec<String> {
    let c = aws_sdk_apigatewayv2::Client::new(sdk);
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let out = c
            .get_domain_names()
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        names.extend(
            out.items()
                .iter()
                .filter_map(|d| d.domain_name().map(str::to_owned)),
        );
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return names;
        }
    }
}

async fn certificates(sdk: &SdkConfig) -> Vec<(String, String)> {
    let acm = aws_sdk_acm::Client::new(sdk);
    let out = acm.list_certificates().send().await.unwrap();
    out.certificate_summary_list()
        .iter()
        .map(|c| {
            (
                c.domain_name().unwrap_or_default().to_owned(),
                c.certificate_arn().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn mappings(sdk: &SdkConfig, domain: &str) -> Vec<String> {
    let c = aws_sdk_apigatewayv2::Client::new(sdk);
    let out = c
        .get_api_mappings()
        .domain_name(domain)
        .send()
        .await
        .unwrap();
    out.items()
        .iter()
        .map(|m| m.api_mapping_key().unwrap_or_default().to_owned())
        .collect()
}

/// A domain-name operation quota of 1 s keeps the tests short.
fn emulator() -> Emulator {
    Emulator::start_with(EmulatorOptions::new().fault("domain_interval_s", json!(1)))
}

#[tokio::test(flavor = "multi_thread")]
async fn hosted_zone_domain_with_a_path_end_to_end() {
    let em = emulator();
    let sdk = em.sdk_config();
    let zone_id = zone(&sdk, "example.com").await;
    let a = app("dom", "domain:\n  name: ws.example.com\n  path: v1\n");

    let out = ok(wsdeploy(&em, &a, &["deploy"]));
    assert!(
        stdout(&out).contains("customDomainUrl: wss://ws.example.com/v1"),
        "{}",
        text(&out)
    );
    ok(wsdeploy(&em, &a, &["diff", "--exit-code"]));

    // The certificate is wsdeploy's, issued, DNS-validated through the zone.
    let certs = certificates(&sdk).await;
    assert_eq!(
        certs.iter().filter(|(n, _)| n == "ws.example.com").count(),
        1,
        "{certs:?}"
    );
    let recs = records(&sdk, &zone_id).await;
    let target = aws_sdk_apigatewayv2::Client::new(&sdk)
        .get_domain_name()
        .domain_name("ws.example.com")
        .send()
        .await
        .unwrap()
        .domain_name_configurations()[0]
        .api_gateway_domain_name()
        .unwrap()
        .to_owned();
    assert!(
        recs.iter().any(|(n, t, v)| n == "ws.example.com."
            && t == "A"
            && v.trim_end_matches('.') == target),
        "{recs:?}"
    );
    assert!(
        recs.iter()
            .any(|(n, t, _)| n == "ws.example.com." && t == "AAAA"),
        "{recs:?}"
    );
    assert!(
        recs.iter().any(|(_, t, _)| t == "CNAME"),
        "validation record: {recs:?}"
    );
    assert_eq!(mappings(&sdk, "ws.example.com").await, ["v1"]);
    let info = ok(wsdeploy(&em, &a, &["info", "--output", "json"]));
    let v: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(v["customDomainUrl"], "wss://ws.example.com/v1");

    // The path changes: the mapping follows, nothing else.
    write_config(&a, "domain:\n  name: ws.example.com\n  path: v2\n");
    let out = wsdeploy(&em, &a, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(stdout(&out).contains("path: /v1 -> /v2"), "{}", text(&out));
    em.clear_calls();
    ok(wsdeploy(&em, &a, &["deploy"]));
    // Logs writes are the deploy lock's: this app has no access logs.
    let writes: Vec<String> = em
        .calls()
        .into_iter()
        .filter(|c| c.mutating && c.service != "logs")
        .map(|c| c.operation)
        .collect();
    assert_eq!(writes, ["UpdateApiMapping"]);
    assert_eq!(mappings(&sdk, "ws.example.com").await, ["v2"]);

    // Remove leaves nothing wsdeploy made: no domain, certificate or record.
    ok(wsdeploy(&em, &a, &["remove", "--yes"]));
    assert!(domain_names(&sdk).await.is_empty());
    assert!(certificates(&sdk).await.is_empty());
    assert!(
        records(&sdk, &zone_id).await.is_empty(),
        "{:?}",
        records(&sdk, &zone_id).await
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wildcard_domain() {
    let em = emulator();
    let sdk = em.sdk_config();
    let zone_id = zone(&sdk, "example.com").await;
    let a = app("wild", "domain: \"*.example.com\"\n");
    ok(wsdeploy(&em, &a, &["deploy"]));
    ok(wsdeploy(&em, &a, &["diff", "--exit-code"]));
    assert_eq!(domain_names(&sdk).await, ["*.example.com"]);
    let recs = records(&sdk, &zone_id).await;
    assert!(
        recs.iter()
            .any(|(n, t, _)| n == "*.example.com." && t == "A"),
        "{recs:?}"
    );
    ok(wsdeploy(&em, &a, &["remove", "--yes"]));
    assert!(domain_names(&sdk).await.is_empty());
    assert!(records(&sdk, &zone_id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_given_certificate_is_used_and_never_deleted() {
    let em = emulator();
    let sdk = em.sdk_config();
    zone(&sdk, "example.com").await;
    let acm = aws_sdk_acm::Client::new(&sdk);
    let cert = acm
        .request_certificate()
        .domain_name("api.example.com")
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .unwrap()
        .certificate_arn()
        .unwrap()
        .to_owned();
    let a = app(
        "given",
        &format!("domain:\n  name: api.example.com\n  certificateArn: {cert}\n"),
    );
    ok(wsdeploy(&em, &a, &["deploy"]));
    ok(wsdeploy(&em, &a, &["diff", "--exit-code"]));
    let d = aws_sdk_apigatewayv2::Client::new(&sdk)
        .get_domain_name()
        .domain_name("api.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.domain_name_configurations()[0].certificate_arn(),
        Some(cert.as_str())
    );
    assert_eq!(
        certificates(&sdk).await.len(),
        1,
        "wsdeploy requested no certificate of its own"
    );
    ok(wsdeploy(&em, &a, &["remove", "--yes"]));
    assert!(domain_names(&sdk).await.is_empty());
    assert_eq!(
        certificates(&sdk).await,
        [("api.example.com".to_owned(), cert)],
        "the user's certificate stays"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn external_dns_writes_no_record_and_prints_the_target() {
    let em = emulator();
    let sdk = em.sdk_config();
    let zone_id = zone(&sdk, "example.com").await;
    let cert = aws_sdk_acm::Client::new(&sdk)
        .request_certificate()
        .domain_name("ext.example.org")
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .unwrap()
        .certificate_arn()
        .unwrap()
        .to_owned();
    let a = app(
        "ext",
        &format!("domain:\n  name: ext.example.org\n  certificateArn: {cert}\n  external: true\n"),
    );
    let out = ok(wsdeploy(&em, &a, &["deploy"]));
    let s = stdout(&out);
    assert!(
        s.contains("customDomainTarget: d-") && s.contains(".execute-api.us-east-1.amazonaws.com"),
        "{}",
        text(&out)
    );
    ok(wsdeploy(&em, &a, &["diff", "--exit-code"]));
    assert!(records(&sdk, &zone_id).await.is_empty());
    ok(wsdeploy(&em, &a, &["remove", "--yes"]));
    assert!(domain_names(&sdk).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_apps_share_a_domain_and_the_last_one_takes_it_away() {
    let em = emulator();
    let sdk = em.sdk_config();
    let zone_id = zone(&sdk, "example.com").await;
    let a = app("sharea", "domain:\n  name: rt.example.com\n  path: a\n");
    let b = app("shareb", "domain:\n  name: rt.example.com\n  path: b\n");
    ok(wsdeploy(&em, &a, &["deploy"]));
    ok(wsdeploy(&em, &b, &["deploy"]));
    ok(wsdeploy(&em, &a, &["diff", "--exit-code"]));
    ok(wsdeploy(&em, &b, &["diff", "--exit-code"]));
    let mut keys = mappings(&sdk, "rt.example.com").await;
    keys.sort();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(
        certificates(&sdk).await.len(),
        1,
        "one certificate for both"
    );

    ok(wsdeploy(&em, &a, &["remove", "--yes"]));
    assert_eq!(
        mappings(&sdk, "rt.example.com").await,
        ["b"],
        "b keeps working"
    );
    assert_eq!(domain_names(&sdk).await, ["rt.example.com"]);
    assert_eq!(certificates(&sdk).await.len(), 1);
    ok(wsdeploy(&em, &b, &["diff", "--exit-code"]));

    ok(wsdeploy(&em, &b, &["remove", "--yes"]));
    assert!(domain_names(&sdk).await.is_empty());
    assert!(certificates(&sdk).await.is_empty());
    assert!(records(&sdk, &zone_id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_record_stops_deploy_and_is_untouched() {
    let em = emulator();
    let sdk = em.sdk_config();
    let zone_id = zone(&sdk, "example.com").await;
    let r53 = aws_sdk_route53::Client::new(&sdk);
    let set = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name("taken.example.com")
        .r#type(aws_sdk_route53::types::RrType::A)
        .ttl(60)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value("192.0.2.10")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    r53.change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            aws_sdk_route53::types::ChangeBatch::builder()
                .changes(
                    aws_sdk_route53::types::Change::builder()
                        .action(aws_sdk_route53::types::ChangeAction::Create)
                        .resource_record_set(set)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let before = records(&sdk, &zone_id).await;
    let a = app("taken", "domain: taken.example.com\n");
    // The record blocks only when there is a domain to point at it, so the
    // first deploy makes the domain and then must refuse the records.
    let out = wsdeploy(&em, &a, &["deploy"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("taken.example.com"), "{stderr}");
    let after = records(&sdk, &zone_id).await;
    let a_records: Vec<_> = after
        .iter()
        .filter(|(n, t, _)| n == "taken.example.com." && t == "A")
        .collect();
    assert_eq!(
        a_records,
        [&(
            "taken.example.com.".to_owned(),
            "A".to_owned(),
            "192.0.2.10".to_owned()
        )],
        "the foreign record is untouched: {before:?} -> {after:?}"
    );
    ok(wsdeploy(&em, &a, &["remove", "--yes"]));
    let a_records: Vec<_> = records(&sdk, &zone_id)
        .await
        .into_iter()
        .filter(|(n, t, _)| n == "taken.example.com." && t == "A")
        .collect();
    assert_eq!(a_records.len(), 1, "remove leaves the foreign record");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_certificate_pending_past_the_timeout_resumes_on_the_next_run() {
    let em = Emulator::start_with(
        EmulatorOptions::new()
            .fault("domain_interval_s", json!(1))
            .fault("acm_pending_s", json!(4)),
    );
    let sdk = em.sdk_config();
    zone(&sdk, "example.com").await;
    let a = app("pend", "domain: slow.example.com\n");
    let out = wsdeploy(&em, &a, &["deploy", "--certificate-timeout", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("still pending validation") && stderr.contains("run deploy again"),
        "{stderr}"
    );
    // The API works at its own URL meanwhile.
    let out = wsdeploy(&em, &a, &["diff"]);
    assert!(
        stdout(&out).contains("~ certificate slow.example.com (waiting for DNS validation)"),
        "{}",
        text(&out)
    );
    assert!(!stdout(&out).contains("+ route"), "{}", text(&out));
    ok(wsdeploy(
        &em,
        &a,
        &["deploy", "--certificate-timeout", "60"],
    ));
    ok(wsdeploy(&em, &a, &["diff", "--exit-code"]));
    assert_eq!(
        certificates(&sdk).await.len(),
        1,
        "the re-run used the same certificate"
    );
    ok(wsdeploy(&em, &a, &["remove", "--yes"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_domain_quota_is_waited_out() {
    let em = Emulator::start_with(
        EmulatorOptions::new()
            .fault("quotas", json!(true))
            .fault("domain_interval_s", json!(3))
            .fault("deployment_interval_s", json!(1)),
    );
    let sdk = em.sdk_config();
    zone(&sdk, "example.com").await;
    let a = app("quota", "domain: qa.example.com\n");
    let b = app("quotb", "domain: qb.example.com\n");
    ok(wsdeploy(&em, &a, &["deploy"]));
    let out = ok(wsdeploy(&em, &b, &["deploy"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let domain_calls: Vec<(String, u16, Option<String>)> = em
        .calls()
        .into_iter()
        .filter(|c| c.operation.contains("DomainName"))
        .map(|c| (c.operation, c.status, c.fault))
        .collect();
    assert!(
        stderr.contains("waiting for the custom-domain quota"),
        "{stderr}\n{domain_calls:?}"
    );
    let quota_hits = em
        .calls()
        .into_iter()
        .filter(|c| c.fault.as_deref() == Some("quota"))
        .count();
    assert!(quota_hits > 0, "the quota was never hit");
    ok(wsdeploy(&em, &a, &["remove", "--yes"]));
    ok(wsdeploy(&em, &b, &["remove", "--yes"]));
    assert!(domain_names(&sdk).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn access_logs_on_and_off() {
    let em = emulator();
    let sdk = em.sdk_config();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let gw = aws_sdk_apigatewayv2::Client::new(&sdk);
    let a = app("logs", "api:\n  accessLog:\n    retention: 14\n");
    let group = format!("/aws/apigateway/{}-dev", a.name);
    ok(wsdeploy(&em, &a, &["deploy"]));
    ok(wsdeploy(&em, &a, &["diff", "--exit-code"]));
    let g = logs
        .describe_log_groups()
        .log_group_name_prefix(&group)
        .send()
        .await
        .unwrap();
    assert_eq!(g.log_groups().len(), 1);
    assert_eq!(g.log_groups()[0].retention_in_days(), Some(14));
    let api = gw
        .get_apis()
        .send()
        .await
        .unwrap()
        .items()
        .iter()
        .find(|x| x.name() == Some(format!("{}-dev", a.name).as_str()))
        .unwrap()
        .api_id()
        .unwrap()
        .to_owned();
    let stage = gw
        .get_stage()
        .api_id(&api)
        .stage_name("dev")
        .send()
        .await
        .unwrap();
    let settings = stage.access_log_settings().expect("access logs on");
    assert!(
        settings
            .destination_arn()
            .unwrap()
            .ends_with(&format!("log-group:{group}"))
    );
    let format: serde_json::Value =
        serde_json::from_str(settings.format().unwrap()).expect("the default format is JSON");
    for field in [
        "requestId",
        "ip",
        "requestTime",
        "eventType",
        "routeKey",
        "status",
        "connectionId",
        "integrationError",
    ] {
        assert!(format.get(field).is_some(), "the format lacks `{field}`");
    }

    // Off: the stage stops logging and the group goes.
    write_config(&a, "");
    let out = wsdeploy(&em, &a, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    ok(wsdeploy(&em, &a, &["deploy"]));
    ok(wsdeploy(&em, &a, &["diff", "--exit-code"]));
    let stage = gw
        .get_stage()
        .api_id(&api)
        .stage_name("dev")
        .send()
        .await
        .unwrap();
    assert!(
        stage
            .access_log_settings()
            .and_then(|s| s.destination_arn())
            .is_none()
    );
    assert!(
        logs.describe_log_groups()
            .log_group_name_prefix(&group)
            .send()
            .await
            .unwrap()
            .log_groups()
            .is_empty()
    );

    // On again, then remove --keep-logs keeps the group.
    write_config(&a, "api:\n  accessLog: true\n");
    ok(wsdeploy(&em, &a, &["deploy"]));
    ok(wsdeploy(&em, &a, &["remove", "--yes", "--keep-logs"]));
    assert_eq!(
        logs.describe_log_groups()
            .log_group_name_prefix(&group)
            .send()
            .await
            .unwrap()
            .log_groups()
            .len(),
        1
    );
}
