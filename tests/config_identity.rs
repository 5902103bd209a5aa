//! `config::load_identity`: app, stage, region and domain, for the commands
//! that must work without the code (`remove`, `info`, `unlock`). Problems
//! located under those keys (and the file's own, and YAML's) are reported
//! as by `load`; everything else is dropped.

use std::path::{Path, PathBuf};

use wsdeploy::config::{LoadOptions, Loaded, load, load_identity};
use wsdeploy::diagnostic::{Diagnostic, Severity};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn opts_with<'a>(
    env: &'a dyn Fn(&str) -> Option<String>,
    stage: Option<&'a str>,
) -> LoadOptions<'a> {
    LoadOptions {
        stage,
        region: None,
        env_region: None,
        env,
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn identity(path: &Path) -> Loaded {
    load_identity(path, &opts_with(&no_env, None))
}

fn full(path: &Path) -> Loaded {
    load(path, &opts_with(&no_env, None))
}

fn errors(l: &Loaded) -> Vec<&Diagnostic> {
    l.diagnostics
        .items
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect()
}

/// A directory of its own under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "wsdeploy-config-identity-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes `text` as `wsdeploy.yml` and returns its path.
    fn config(&self, text: &str) -> PathBuf {
        let path = self.0.join("wsdeploy.yml");
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn full_fixture_text() -> String {
    std::fs::read_to_string(root().join("fixtures/full/wsdeploy.yml")).unwrap()
}

/// `needle`'s 1-based line and column in `text`.
fn position_of(text: &str, needle: &str) -> (u32, u32) {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line as u32, column as u32)
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap()
}

#[test]
fn without_the_code_the_identity_loads_as_load_has_it() {
    // fixtures/full uses every key; its code (`app/`) is not copied.
    let tmp = TempDir::new("no-code");
    let path = tmp.config(&full_fixture_text());
    assert!(
        full(&path).config.is_none(),
        "load needs the code directory"
    );

    let l = identity(&path);
    assert!(l.diagnostics.items.is_empty(), "{:?}", l.diagnostics.items);
    let c = l.config.expect("the identity loads without the code");
    let expected = full(&root().join("fixtures/full/wsdeploy.yml"))
        .config
        .expect("fixtures/full is valid");
    assert_eq!(c.app, "full");
    assert_eq!(c.stage, "test");
    assert_eq!(c.region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        (&c.app, &c.stage, &c.region),
        (&expected.app, &expected.stage, &expected.region)
    );
    let domain = c.domain.as_ref().expect("the domain");
    assert_eq!(domain.name, "ws-test.example.com");
    assert_eq!(domain.hosted_zone, "example.com");
    assert_eq!(domain.path.as_deref(), Some("v1"));
    assert_eq!(json(&c.domain), json(&expected.domain));
    assert_eq!(c.file, path);

    // Nothing else.
    assert!(c.functions.is_empty());
    assert!(c.routes.is_empty());
    assert!(c.authorizer.is_none());
    assert!(c.tags.is_empty());
    assert_eq!(c.api.name, "full-test");
    assert!(c.api.access_log.is_none());
    assert!(c.api.throttle.is_none());
    assert!(c.api.variables.is_empty());
}

#[test]
fn a_missing_handler_file_does_not_matter() {
    let l = identity(&root().join("fixtures/invalid/handler-file-missing.yml"));
    assert!(errors(&l).is_empty(), "{:?}", l.diagnostics.items);
    assert!(l.config.is_some());
}

#[test]
fn stage_flag_and_interpolation_apply_as_in_load() {
    let tmp = TempDir::new("stage-flag");
    let path = tmp.config(&full_fixture_text());
    let l = load_identity(&path, &opts_with(&no_env, Some("prod")));
    let c = l.config.expect("valid identity");
    assert_eq!(c.stage, "prod");
    assert_eq!(c.api.name, "full-prod");
    assert_eq!(c.domain.expect("domain").name, "ws-prod.example.com");

    let l = load_identity(&path, &opts_with(&no_env, Some("bad stage")));
    assert!(l.config.is_none());
    assert_eq!(errors(&l)[0].path, "--stage");
}

#[test]
fn errors_outside_the_identity_are_dropped() {
    let text = full_fixture_text();
    let cases = [
        (
            "memorySize: 512",
            "memorySize: 1",
            "functions.ws.memorySize",
        ),
        (
            "  ws:\n    handler:",
            "  ws:\n    handlr: x\n    handler:",
            "functions.ws.handlr",
        ),
        (
            "ROLE: shared",
            "ROLE: ${env:WSDEPLOY_TEST_UNDEFINED}",
            "functions.ws.environment.ROLE",
        ),
        (
            "functions:\n",
            "functions:\n  unused:\n    handler: src/default.handler\n",
            "functions.unused",
        ),
    ];
    for (from, to, path) in cases {
        assert!(text.contains(from), "{from}");
        let tmp = TempDir::new("outside");
        copy_dir(&root().join("fixtures/full/app"), &tmp.0.join("app"));
        let file = tmp.config(&text.replacen(from, to, 1));

        // `load` reports the problem (an error, or the unused function's
        // warning)...
        let l = full(&file);
        assert!(
            l.diagnostics.items.iter().any(|d| d.path == path),
            "{path}: {:?}",
            l.diagnostics.items
        );
        // ...`load_identity` does not look there.
        let l = identity(&file);
        assert!(
            l.diagnostics.items.is_empty(),
            "{path}: {:?}",
            l.diagnostics.items
        );
        let c = l.config.expect("the identity is fine");
        assert_eq!((c.app.as_str(), c.stage.as_str()), ("full", "test"));
    }
}

#[test]
fn a_bad_app_is_reported_at_its_position() {
    // fixtures/invalid/bad-app-name.yml: `# expect: 2:6`.
    let l = identity(&root().join("fixtures/invalid/bad-app-name.yml"));
    assert!(l.config.is_none());
    let errs = errors(&l);
    assert_eq!(errs.len(), 1, "{errs:?}");
    let pos = errs[0].pos.expect("a position");
    assert_eq!((errs[0].path.as_str(), pos.line, pos.column), ("app", 2, 6));
}

#[test]
fn a_bad_domain_name_is_reported_at_its_position() {
    // The shorthand: fixtures/invalid/domain-bad-name.yml, `# expect: 5:9`.
    let l = identity(&root().join("fixtures/invalid/domain-bad-name.yml"));
    assert!(l.config.is_none());
    let errs = errors(&l);
    assert_eq!(errs.len(), 1, "{errs:?}");
    let pos = errs[0].pos.expect("a position");
    assert_eq!(
        (errs[0].path.as_str(), pos.line, pos.column),
        ("domain", 5, 9)
    );

    // `domain.name` in the settings, with the code gone.
    let tmp = TempDir::new("bad-domain");
    let text =
        full_fixture_text().replacen("name: ws-${stage}.example.com", "name: ws..example.com", 1);
    let (line, column) = position_of(&text, "ws..example.com");
    let l = identity(&tmp.config(&text));
    assert!(l.config.is_none());
    let errs = errors(&l);
    assert_eq!(errs.len(), 1, "{errs:?}");
    let pos = errs[0].pos.expect("a position");
    assert_eq!(
        (errs[0].path.as_str(), pos.line, pos.column),
        ("domain.name", line, column)
    );
    assert!(errs[0].message.contains("invalid domain name"));
}

#[test]
fn interpolation_errors_in_the_identity_are_reported() {
    let tmp = TempDir::new("domain-env");
    let text = full_fixture_text().replacen(
        "name: ws-${stage}.example.com",
        "name: ws-${env:WSDEPLOY_TEST_UNDEFINED}.example.com",
        1,
    );
    let l = identity(&tmp.config(&text));
    assert!(l.config.is_none());
    assert!(
        errors(&l).iter().any(|d| d.path == "domain.name"),
        "{:?}",
        l.diagnostics.items
    );
    assert!(errors(&l).iter().all(|d| d.path.starts_with("domain")));
}

#[test]
fn a_yaml_syntax_error_is_reported_as_by_load() {
    let file = root().join("fixtures/invalid/syntax-error.yml");
    let l = identity(&file);
    assert!(l.config.is_none());
    assert!(!errors(&l).is_empty());
    assert_eq!(l.diagnostics.items, full(&file).diagnostics.items);
}

#[test]
fn file_problems_are_reported_as_by_load() {
    for file in [
        root().join("does/not/exist.yml"),
        root().join("fixtures"),
        root().join("fixtures/invalid/empty.yml"),
        root().join("fixtures/invalid/missing-app.yml"),
    ] {
        let l = identity(&file);
        assert!(l.config.is_none(), "{}", file.display());
        assert!(!errors(&l).is_empty(), "{}", file.display());
        assert_eq!(
            l.diagnostics.items,
            full(&file).diagnostics.items,
            "{}",
            file.display()
        );
    }
}

#[test]
fn only_identity_diagnostics_ever_come_out() {
    for entry in std::fs::read_dir(root().join("fixtures/invalid")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yml") {
            continue;
        }
        let l = identity(&path);
        for d in &l.diagnostics.items {
            let p = d.path.as_str();
            assert!(
                ["", "app", "stage", "region", "domain"].contains(&p) || p.starts_with("domain."),
                "{}: {d:?}",
                path.display()
            );
        }
        // The identity is valid exactly when `load` finds no error under it.
        let under_identity = full(&path).diagnostics.items.iter().any(|d| {
            d.severity == Severity::Error
                && (["app", "stage", "region", "domain"].contains(&d.path.as_str())
                    || d.path.starts_with("domain."))
        });
        if under_identity {
            assert!(l.config.is_none(), "{}", path.display());
        }
    }
}
