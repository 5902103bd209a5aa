//! Issue 15's function and API settings end to end against the emulator:
//! every key deployed, read back through the AWS SDK, kept in sync (a second
//! deploy writes nothing, drift is shown and repaired); provisioned
//! concurrency's version and alias; an existing role; an external function
//! that only gets this app's statement. Each test deploys a copy of
//! fixtures/minimal under a unique app name.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use aws_sdk_lambda::primitives::Blob;
use support::cli::{self, copy_dir, ok, text};
use support::emulator::{ACCOUNT_ID, REGION};
use support::{Emulator, unique_name};

const S3_READ_ONLY: &str = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const ASSUME_ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

struct App {
    name: String,
    config: PathBuf,
}

impl App {
    /// fixtures/minimal under a unique name; `body` replaces its `routes:`
    /// and may add any key (it gets the app's name).
    fn new(prefix: &str, body: impl Fn(&str) -> String) -> App {
        let name = unique_name(prefix);
        let dir = std::env::temp_dir().join(format!("wsdeploy-settings-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/minimal"),
            &dir,
        );
        let config = dir.join("wsdeploy.yml");
        std::fs::write(&config, format!("app: {name}\n{}", body(&name))).unwrap();
        App { name, config }
    }

    fn function(&self) -> String {
        format!("{}-dev-default", self.name)
    }

    fn run(&self, em: &Emulator, args: &[&str]) -> Output {
        cli::run(em, &self.config, args)
    }

    fn edit(&self, from: &str, to: &str) {
        let body = std::fs::read_to_string(&self.config).unwrap();
        assert!(body.contains(from), "{from} not in {body}");
        std::fs::write(&self.config, body.replace(from, to)).unwrap();
    }
}

fn lambda(em: &Emulator) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&em.sdk_config())
}

fn iam(em: &Emulator) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&em.sdk_config())
}

/// A customer managed policy to use as a permissions boundary.
async fn boundary(em: &Emulator) -> String {
    let out = iam(em)
        .create_policy()
        .policy_name(unique_name("boundary"))
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    out.policy().unwrap().arn().unwrap().to_owned()
}

/// Every key of issue 15 on the one function (`$default`).
fn every_key(boundary: &str) -> impl Fn(&str) -> String {
    let boundary = boundary.to_owned();
    move |_| {
        format!(
            "defaults:\n  function:\n    description: Settings test\n    reservedConcurrency: 5\n    provisionedConcurrency: 2\n    tracing: active\n    ephemeralStorage: 1024\n    kmsKeyArn: arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab\n    vpc: {{ subnetIds: [subnet-1, subnet-2], securityGroupIds: [sg-1] }}\n    managedPolicies: [{S3_READ_ONLY}]\n    permissionsBoundary: {boundary}\nroutes:\n  $default:\n    function: src/default.handler\n    integrationTimeout: 10000\n"
        )
    }
}

fn mutating(em: &Emulator) -> Vec<String> {
    em.calls()
        .into_iter()
        .filter(|c| c.mutating)
        .map(|c| c.operation)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_setting_is_deployed_and_a_second_deploy_writes_nothing() {
    // Its own emulator: writes are counted.
    let em = Emulator::start();
    let boundary = boundary(&em).await;
    let app = App::new("settings", every_key(&boundary));
    ok(app.run(&em, &["deploy"]));

    let l = lambda(&em);
    let f = l
        .get_function()
        .function_name(app.function())
        .send()
        .await
        .unwrap();
    let c = f.configuration().unwrap();
    assert_eq!(c.description(), Some("Settings test"));
    assert_eq!(
        c.tracing_config()
            .and_then(|t| t.mode())
            .map(|m| m.as_str()),
        Some("Active")
    );
    assert_eq!(c.ephemeral_storage().map(|e| e.size()), Some(1024));
    assert!(c.kms_key_arn().is_some_and(|k| k.ends_with("1234567890ab")));
    let vpc = c.vpc_config().unwrap();
    assert_eq!(vpc.subnet_ids().len(), 2);
    assert_eq!(
        f.concurrency()
            .and_then(|x| x.reserved_concurrent_executions()),
        Some(5)
    );
    // The alias with its provisioned concurrency, and the API invokes it.
    let alias = l
        .get_alias()
        .function_name(app.function())
        .name("live")
        .send()
        .await
        .unwrap();
    assert_ne!(alias.function_version(), Some("$LATEST"));
    let pc = l
        .get_provisioned_concurrency_config()
        .function_name(app.function())
        .qualifier("live")
        .send()
        .await
        .unwrap();
    assert_eq!(pc.requested_provisioned_concurrent_executions(), Some(2));
    let policy = l
        .get_policy()
        .function_name(app.function())
        .qualifier("live")
        .send()
        .await
        .unwrap();
    assert!(policy.policy().unwrap().contains("wsdeploy-invoke"));
    // The role: managed policy, boundary, X-Ray and VPC statements.
    let role = app.function();
    let i = iam(&em);
    let attached = i
        .list_attached_role_policies()
        .role_name(&role)
        .send()
        .await
        .unwrap();
    assert!(
        attached
            .attached_policies()
            .iter()
            .any(|p| p.policy_arn() == Some(S3_READ_ONLY))
    );
    let got = i.get_role().role_name(&role).send().await.unwrap();
    assert_eq!(
        got.role()
            .and_then(|r| r.permissions_boundary())
            .and_then(|b| b.permissions_boundary_arn()),
        Some(boundary.as_str())
    );
    let inline = i
        .get_role_policy()
        .role_name(&role)
        .policy_name("wsdeploy")
        .send()
        .await
        .unwrap();
    let doc = urlencoding(inline.policy_document());
    assert!(
        doc.contains("xray:PutTraceSegments") && doc.contains("ec2:CreateNetworkInterface"),
        "{doc}"
    );
    // Logs access to its own log group only.
    assert!(
        doc.contains(&format!("log-group:/aws/lambda/{}", app.function()))
            && !doc.contains("log-group:*"),
        "{doc}"
    );

    // The integration invokes the alias, with its timeout.
    let out = ok(app.run(&em, &["info", "--output", "json"]));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        info["functions"]["$default"]
            .as_str()
            .is_some_and(|a| a.ends_with(":live")),
        "{info}"
    );
    let api_id = info["url"]
        .as_str()
        .and_then(|u| u.strip_prefix("wss://"))
        .and_then(|u| u.split('.').next())
        .unwrap()
        .to_owned();
    let integrations = aws_sdk_apigatewayv2::Client::new(&em.sdk_config())
        .get_integrations()
        .api_id(&api_id)
        .send()
        .await
        .unwrap();
    let integration = &integrations.items()[0];
    assert_eq!(integration.timeout_in_millis(), Some(10_000));
    assert!(
        integration
            .integration_uri()
            .is_some_and(|u| u.ends_with(":live/invocations"))
    );

    // A second deploy writes nothing at all.
    em.clear_calls();
    let out = ok(app.run(&em, &["deploy"]));
    assert_eq!(mutating(&em), Vec::<String>::new(), "{}", text(&out));
    let out = app.run(&em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // New code: a new version, the alias moved, no API deployment.
    std::fs::write(
        app.config.parent().unwrap().join("src/default.mjs"),
        "export const handler = async () => ({ statusCode: 200, body: 'v2' });\n",
    )
    .unwrap();
    em.clear_calls();
    ok(app.run(&em, &["deploy"]));
    let writes = mutating(&em);
    assert!(
        writes.contains(&"PublishVersion".to_owned()) && writes.contains(&"UpdateAlias".to_owned()),
        "{writes:?}"
    );
    assert!(
        !writes.contains(&"CreateDeployment".to_owned()),
        "{writes:?}"
    );
    let moved = l
        .get_alias()
        .function_name(app.function())
        .name("live")
        .send()
        .await
        .unwrap();
    assert_ne!(moved.function_version(), alias.function_version());

    // Remove leaves nothing.
    ok(app.run(&em, &["remove", "--yes"]));
    assert!(
        l.get_function()
            .function_name(app.function())
            .send()
            .await
            .is_err()
    );
    assert!(i.get_role().role_name(&role).send().await.is_err());
}

/// Decodes IAM's URL-encoded policy documents.
fn urlencoding(s: &str) -> String {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_in_the_settings_is_shown_and_repaired() {
    let em = Emulator::shared();
    let boundary = boundary(em).await;
    let app = App::new("setdrift", every_key(&boundary));
    ok(app.run(em, &["deploy"]));
    let l = lambda(em);
    l.put_function_concurrency()
        .function_name(app.function())
        .reserved_concurrent_executions(7)
        .send()
        .await
        .unwrap();
    iam(em)
        .detach_role_policy()
        .role_name(app.function())
        .policy_arn(S3_READ_ONLY)
        .send()
        .await
        .unwrap();
    let out = app.run(em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let shown = text(&out);
    assert!(shown.contains("reservedConcurrency: 7 -> 5"), "{shown}");
    assert!(
        shown.contains(&format!(
            "managedPolicies.{S3_READ_ONLY}: (none) -> attached"
        )),
        "{shown}"
    );
    ok(app.run(em, &["deploy"]));
    let out = app.run(em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Provisioned concurrency taken out: the alias goes, the API invokes
    // the function itself.
    app.edit("    provisionedConcurrency: 2\n", "");
    ok(app.run(em, &["deploy"]));
    assert!(
        l.get_alias()
            .function_name(app.function())
            .name("live")
            .send()
            .await
            .is_err()
    );
    let out = ok(app.run(em, &["info", "--output", "json"]));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        info["functions"]["$default"]
            .as_str()
            .is_some_and(|a| a.ends_with("-dev-default")),
        "{info}"
    );
    let out = app.run(em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    ok(app.run(em, &["remove", "--yes"]));
}

async fn role(em: &Emulator, name: &str) -> String {
    let out = iam(em)
        .create_role()
        .role_name(name)
        .assume_role_policy_document(ASSUME_ROLE_POLICY)
        .send()
        .await
        .unwrap();
    out.role().unwrap().arn().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_existing_role_is_used_and_never_touched() {
    let em = Emulator::shared();
    let arn = role(em, &unique_name("existing")).await;
    let app = App::new("setrole", |_| {
        format!(
            "defaults:\n  function:\n    role: {arn}\nroutes:\n  $default: src/default.handler\n"
        )
    });
    ok(app.run(em, &["deploy"]));
    let f = lambda(em)
        .get_function()
        .function_name(app.function())
        .send()
        .await
        .unwrap();
    assert_eq!(f.configuration().unwrap().role(), Some(arn.as_str()));
    assert!(
        iam(em)
            .get_role()
            .role_name(app.function())
            .send()
            .await
            .is_err(),
        "no role of its own"
    );
    let out = app.run(em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    ok(app.run(em, &["remove", "--yes"]));
    let name = arn.rsplit('/').next().unwrap();
    iam(em)
        .get_role()
        .role_name(name)
        .send()
        .await
        .expect("the role is left alone");
}

/// The smallest valid zip archive (no entries): Lambda only needs bytes.
fn empty_zip() -> Blob {
    let mut bytes = b"PK\x05\x06".to_vec();
    bytes.extend([0u8; 18]);
    Blob::new(bytes)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_external_function_gets_only_this_apps_statement() {
    let em = Emulator::shared();
    let l = lambda(em);
    let name = unique_name("external");
    let role_arn = role(em, &unique_name("extrole")).await;
    l.create_function()
        .function_name(&name)
        .runtime(aws_sdk_lambda::types::Runtime::Nodejs20x)
        .role(&role_arn)
        .handler("index.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(empty_zip())
                .build(),
        )
        .send()
        .await
        .unwrap();
    // Someone else's statement on it, which must survive.
    l.add_permission()
        .function_name(&name)
        .statement_id("someone-else")
        .action("lambda:InvokeFunction")
        .principal("s3.amazonaws.com")
        .send()
        .await
        .unwrap();
    let before = l.get_function().function_name(&name).send().await.unwrap();
    let arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}");
    let app = App::new("setext", |_| {
        format!("routes:\n  $default: src/default.handler\n  legacy:\n    function: {arn}\n")
    });
    ok(app.run(em, &["deploy"]));
    let policy = |l: aws_sdk_lambda::Client, name: String| async move {
        l.get_policy()
            .function_name(name)
            .send()
            .await
            .map(|p| p.policy().unwrap_or_default().to_owned())
            .unwrap_or_default()
    };
    let doc = policy(l.clone(), name.clone()).await;
    let sid = format!("wsdeploy_{}_dev_invoke", app.name);
    assert!(doc.contains(&sid) && doc.contains("someone-else"), "{doc}");
    let out = app.run(em, &["diff", "--exit-code"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ok(app.run(em, &["remove", "--yes"]));
    eprintln!("{}", text(&out));
    let doc = policy(l.clone(), name.clone()).await;
    assert!(!doc.contains(&sid) && doc.contains("someone-else"), "{doc}");
    let after = l.get_function().function_name(&name).send().await.unwrap();
    assert_eq!(
        before.configuration().unwrap().code_sha256(),
        after.configuration().unwrap().code_sha256(),
        "never packaged or changed"
    );
}
