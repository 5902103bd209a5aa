//! Test helpers of the validation modules: load a YAML text as if it were
//! a file in fixtures/invalid, whose `src/handler.mjs` exports `connect`,
//! `disconnect`, `message` and `auth`, and look at what came out.

use std::path::Path;

use crate::config::model::Config;
use crate::config::{LoadOptions, load_text};
use crate::diagnostic::{Diagnostic, Diagnostics, Severity};

/// What loading gave: the config (when valid) and every diagnostic.
pub struct Outcome {
    pub config: Option<Config>,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// Loads `yaml` with the region `region` known (from the environment),
/// and `${env:SECRET}` set to `secret`.
pub fn outcome_in(yaml: &str, region: Option<&str>, secret: &str) -> Outcome {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invalid/wsdeploy.yml");
    let env = |name: &str| (name == "SECRET").then(|| secret.to_owned());
    let opts = LoadOptions {
        stage: None,
        region: None,
        env_region: region,
        env: &env,
    };
    let mut diags = Diagnostics::default();
    let config = load_text(&file, yaml, &opts, &mut diags);
    let (errors, warnings) = diags
        .items
        .into_iter()
        .partition(|d| d.severity == Severity::Error);
    Outcome {
        config,
        errors,
        warnings,
    }
}

/// Loads `yaml` in `us-east-1`.
pub fn outcome(yaml: &str) -> Outcome {
    outcome_in(yaml, Some("us-east-1"), "")
}

/// The config of a valid `yaml` (warnings allowed).
pub fn valid(yaml: &str) -> Config {
    let o = outcome(yaml);
    match o.config {
        Some(c) if o.errors.is_empty() => c,
        _ => panic!("{yaml}\n{:#?}", o.errors),
    }
}

/// The one error of an invalid `yaml`.
pub fn error(yaml: &str) -> Diagnostic {
    one(outcome(yaml).errors, yaml)
}

/// The warnings of a valid `yaml`.
pub fn warnings(yaml: &str) -> Vec<Diagnostic> {
    let o = outcome(yaml);
    assert!(o.config.is_some(), "{yaml}\n{:#?}", o.errors);
    o.warnings
}

/// The one warning of a valid `yaml`.
pub fn warning(yaml: &str) -> Diagnostic {
    one(warnings(yaml), yaml)
}

fn one(mut list: Vec<Diagnostic>, yaml: &str) -> Diagnostic {
    assert_eq!(list.len(), 1, "{yaml}\n{list:#?}");
    list.remove(0)
}

/// Line and column of a diagnostic.
pub fn at(d: &Diagnostic) -> (u32, u32) {
    let p = d.pos.expect("a position");
    (p.line, p.column)
}
