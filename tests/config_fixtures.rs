//! The config layer against the fixtures: every valid fixture loads into the
//! model the contract describes, and every invalid fixture fails with its
//! diagnostic at the `# expect: line:column` its first lines name. The
//! rendered diagnostics are snapshots (insta), so a change in wording or
//! position shows up in review.

use std::path::{Path, PathBuf};

use wsdeploy::config::model::{Authorizer, Build, CodeKind, LogDestination, MASK, Tracing};
use wsdeploy::config::{LoadOptions, Loaded, load, load_text};
use wsdeploy::diagnostic::{Diagnostics, Severity};
use wsdeploy::output::diagnostics::{self as render, Style};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Loads a fixture with an empty environment (so `${env:...}` defaults
/// apply), no `--stage` and no `--region`.
fn load_fixture(rel: &str) -> Loaded {
    load_with(rel, &[], None)
}

fn load_with(rel: &str, env: &[(&str, &str)], stage: Option<&str>) -> Loaded {
    let lookup = |k: &str| {
        env.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    };
    // Relative paths keep snapshots free of the machine's directories.
    let path = Path::new(rel);
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(cwd, root(), "tests run from the package root");
    load(
        path,
        &LoadOptions {
            stage,
            region: None,
            env_region: None,
            env: &lookup,
        },
    )
}

fn plain(loaded: &Loaded) -> String {
    render::diagnostics(
        &loaded.file,
        loaded.source.as_deref(),
        &loaded.diagnostics.items,
        Style::Plain,
    )
}

#[test]
fn valid_fixtures_load_without_errors() {
    for f in [
        "fixtures/chat/wsdeploy.yml",
        "fixtures/minimal/wsdeploy.yml",
        "fixtures/full/wsdeploy.yml",
        "fixtures/full/wsdeploy.shorthand.yml",
        "fixtures/full/wsdeploy.external.yml",
        "fixtures/full/wsdeploy.log-destination.yml",
        "fixtures/spec/wsdeploy.yml",
    ] {
        let l = load_fixture(f);
        assert!(l.config.is_some(), "{f} should be valid:\n{}", plain(&l));
        assert!(
            !l.diagnostics
                .items
                .iter()
                .any(|d| d.severity == Severity::Error),
            "{f}: {}",
            plain(&l)
        );
    }
}

#[test]
fn chat_resolves_as_the_contract_says() {
    let c = load_fixture("fixtures/chat/wsdeploy.yml")
        .config
        .expect("chat is valid");
    assert_eq!(c.app, "chat");
    assert_eq!(c.stage, "dev");
    assert_eq!(c.api.name, "chat-dev");
    assert_eq!(c.api.route_selection_expression, "$request.body.action");
    let keys: Vec<&str> = c.routes.keys().map(String::as_str).collect();
    assert_eq!(keys, ["$connect", "$default", "$disconnect", "sendMessage"]);
    // Implicit functions are named after their route key without `$`.
    assert_eq!(c.routes["$connect"].function, "connect");
    assert_eq!(c.functions["connect"].function_name, "chat-dev-connect");
    assert_eq!(
        c.functions["sendMessage"].function_name,
        "chat-dev-sendMessage"
    );
    match c.authorizer.as_ref().expect("chat has an authorizer") {
        Authorizer::Lambda {
            name,
            function,
            identity_sources,
        } => {
            assert_eq!(name, "chat-dev-authorizer");
            assert_eq!(function, "authorizer");
            assert_eq!(identity_sources, &["route.request.querystring.token"]);
        }
        Authorizer::Iam => panic!("chat uses a lambda authorizer"),
    }
    let f = &c.functions["connect"];
    assert_eq!(f.code.kind, CodeKind::Directory);
    // TypeScript, bundled per handler: no include lists.
    match &f.build {
        Build::Bundle(b) => {
            assert_eq!(b.entry, "src/connect.ts");
            assert_eq!(b.external, ["@aws-sdk/*"]);
        }
        other => panic!("chat's handlers are bundled: {other:?}"),
    }
}

#[test]
fn spec_example_merges_defaults_per_the_rules() {
    // fixtures/spec is the contract's own example, written from config.md alone.
    let c = load_fixture("fixtures/spec/wsdeploy.yml")
        .config
        .expect("the contract's example is valid");
    let d = &c.functions["default"];
    // Scalars: the function wins over defaults.
    assert_eq!(d.timeout, 10);
    assert_eq!(d.memory_size, 256);
    assert_eq!(d.runtime, "nodejs20.x");
    // environment merges key by key.
    assert_eq!(
        d.environment.keys().collect::<Vec<_>>(),
        ["BUCKET", "TABLE_NAME"]
    );
    assert_eq!(d.environment["TABLE_NAME"], "connections");
    // The example's defaults set `role`: wsdeploy makes no role, so the
    // defaults' permissions, managed policies and boundary do not apply.
    assert_eq!(
        d.role.as_deref(),
        Some("arn:aws:iam::123456789012:role/existing")
    );
    assert!(d.permissions.is_empty());
    assert!(d.managed_policies.is_empty());
    assert_eq!(d.permissions_boundary, None);
    assert_eq!(
        d.layers,
        ["arn:aws:lambda:us-east-1:123456789012:layer:common:3"]
    );
    assert_eq!(d.tags["team"], "realtime");
    assert_eq!(d.tags["owner"], "realtime-team");
    // `function: ws` names the shared function; `function: src/...` is a handler.
    assert_eq!(c.routes["$disconnect"].function, "ws");
    assert_eq!(c.routes["sendMessage"].function, "sendMessage");
    assert!(c.routes["sendMessage"].return_response);
    assert_eq!(
        c.routes["sendMessage"].throttle.and_then(|t| t.burst_limit),
        Some(50)
    );
    let domain = c.domain.as_ref().expect("domain");
    assert_eq!(
        (
            domain.name.as_str(),
            domain.hosted_zone.as_str(),
            domain.path.as_deref()
        ),
        ("ws.example.com", "example.com", Some("v1"))
    );
    assert!(matches!(
        c.api.access_log.as_ref().map(|a| &a.destination),
        Some(LogDestination::Managed { .. })
    ));
}

#[test]
fn spec_example_has_every_function_setting() {
    let l = load_fixture("fixtures/spec/wsdeploy.yml");
    let c = l.config.as_ref().expect("the contract's example is valid");
    for f in c.functions.values() {
        assert_eq!(
            f.description.as_deref(),
            Some("Chat handlers"),
            "{}",
            f.name
        );
        assert_eq!(
            (f.reserved_concurrency, f.provisioned_concurrency),
            (Some(50), Some(2))
        );
        assert_eq!(f.tracing, Tracing::Active);
        assert_eq!(f.ephemeral_storage, 1024);
        assert_eq!(
            f.kms_key_arn.as_deref(),
            Some("arn:aws:kms:us-east-1:123456789012:key/abcd")
        );
        let vpc = f.vpc.as_ref().expect("the defaults' vpc");
        assert_eq!(vpc.subnet_ids, ["subnet-1", "subnet-2"]);
        assert_eq!(vpc.security_group_ids, ["sg-1"]);
    }
    // `legacy` names an external function by its ARN: no function is made.
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:existing";
    assert_eq!(c.routes["legacy"].function, arn);
    assert!(c.is_external(arn) && !c.functions.contains_key("legacy"));
    assert_eq!(c.externals[arn].name, "existing");
    assert_eq!(c.routes["sendMessage"].integration_timeout_ms, Some(10000));
    assert_eq!(c.integration_timeout_ms("sendMessage"), Some(10000));
    // Valid, with warnings: the role's dropped defaults and what it must
    // allow itself, the VPC, and `level` beside `format: text`.
    let warned: Vec<&str> = l
        .diagnostics
        .items
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.path.as_str())
        .collect();
    for path in [
        "defaults.function.role",
        "defaults.function.permissions",
        "defaults.function.managedPolicies",
        "defaults.function.permissionsBoundary",
        "defaults.function.vpc",
        "defaults.function.logs.level",
    ] {
        assert!(warned.contains(&path), "{path}: {warned:?}");
    }
}

#[test]
fn spec_example_without_its_role_merges_permissions_and_policies() {
    let path = Path::new("fixtures/spec/wsdeploy.yml");
    let text = std::fs::read_to_string(path).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("role:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let env = |_: &str| None;
    let opts = LoadOptions {
        stage: None,
        region: None,
        env_region: None,
        env: &env,
    };
    let mut diags = Diagnostics::default();
    let c = load_text(path, &text, &opts, &mut diags).expect("valid without the role");
    let d = &c.functions["default"];
    assert_eq!(d.role, None);
    // permissions: defaults' two statements, the shorthand expanded.
    assert_eq!(d.permissions.len(), 2);
    assert_eq!(d.permissions[1].actions, ["s3:GetObject"]);
    assert_eq!(d.permissions[1].resources, ["arn:aws:s3:::assets/*"]);
    assert_eq!(
        d.managed_policies,
        ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]
    );
    assert_eq!(
        d.permissions_boundary.as_deref(),
        Some("arn:aws:iam::123456789012:policy/boundary")
    );
}

#[test]
fn stage_flag_overrides_the_file_and_feeds_interpolation() {
    let c = load_with("fixtures/full/wsdeploy.yml", &[], Some("prod"))
        .config
        .expect("valid");
    assert_eq!(c.stage, "prod");
    assert_eq!(c.api.name, "full-prod-api");
    assert!(
        c.functions
            .values()
            .all(|f| f.function_name.starts_with("full-prod-"))
    );
}

#[test]
fn env_values_are_used_but_never_serialized() {
    let l = load_with(
        "fixtures/chat/wsdeploy.yml",
        &[("CHAT_TOKEN", "s3cr3t-token-value")],
        None,
    );
    let c = l.config.expect("valid");
    assert_eq!(
        c.functions["authorizer"].environment["CHAT_TOKEN"],
        "s3cr3t-token-value"
    );
    let json = serde_json::to_string(&c).unwrap();
    assert!(
        !json.contains("s3cr3t-token-value"),
        "the model's JSON view leaks an env value"
    );
    assert!(json.contains(MASK));
}

/// `# expect: L:C ...` lines at the top of a fixture.
fn expectations(text: &str) -> Vec<(u32, u32)> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# expect: "))
        .filter_map(|rest| {
            let pos = rest.split_whitespace().next()?;
            let (l, c) = pos.split_once(':')?;
            Some((l.parse().ok()?, c.parse().ok()?))
        })
        .collect()
}

#[test]
fn invalid_fixtures_fail_at_their_expected_positions() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/invalid"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "expected the whole invalid set, found {}",
        files.len()
    );
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let rel = format!("fixtures/invalid/{name}.yml");
        let l = load_fixture(&rel);
        assert!(l.config.is_none(), "{rel} should be invalid");
        let errors: Vec<(u32, u32)> = l
            .diagnostics
            .items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .filter_map(|d| d.pos.map(|p| (p.line, p.column)))
            .collect();
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = expectations(&text);
        assert!(!expected.is_empty(), "{rel} has no `# expect:` line");
        for e in &expected {
            assert!(
                errors.contains(e),
                "{rel}: no error at {}:{}; got:\n{}",
                e.0,
                e.1,
                plain(&l)
            );
        }
        if name != "many-errors" {
            assert_eq!(
                errors.len(),
                1,
                "{rel} should have exactly one error:\n{}",
                plain(&l)
            );
        }
        insta::assert_snapshot!(format!("invalid__{name}"), plain(&l));
    }
}

#[test]
fn rich_rendering_shows_the_source_line() {
    let l = load_fixture("fixtures/invalid/unknown-nested-key.yml");
    let text = render::diagnostics(
        &l.file,
        l.source.as_deref(),
        &l.diagnostics.items,
        Style::Rich { color: false },
    );
    insta::assert_snapshot!("rich__unknown_nested_key", text);
    let l = load_fixture("fixtures/invalid/many-errors.yml");
    let text = render::diagnostics(
        &l.file,
        l.source.as_deref(),
        &l.diagnostics.items,
        Style::Rich { color: false },
    );
    insta::assert_snapshot!("rich__many_errors", text);
}
