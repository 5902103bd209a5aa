//! A valid config in a few lines for people (`wsdeploy validate`): the
//! app, each route with its function's settings (or the ARN of an external
//! function), the authorizer, the domain and the access log.

use std::fmt::Write as _;

use crate::config::model::{Authorizer, Config, LogDestination, Route};

/// The human summary of a valid config.
pub fn text(c: &Config) -> String {
    let mut s = String::new();
    let region = c.region.as_deref().unwrap_or("from the AWS configuration");
    let _ = writeln!(s, "{}: valid", c.file.display());
    let _ = writeln!(s, "app {}, stage {}, region {region}", c.app, c.stage);
    let _ = writeln!(
        s,
        "api {} ({} routes, {} functions)",
        c.api.name,
        c.routes.len(),
        c.functions.len()
    );
    let width = c.routes.keys().map(|k| k.len()).max().unwrap_or(0);
    for (key, route) in &c.routes {
        if let Some(line) = route_line(c, key, route, width) {
            let _ = writeln!(s, "{line}");
        }
    }
    match &c.authorizer {
        Some(Authorizer::Lambda {
            name,
            function,
            identity_sources,
        }) => {
            let fname = c
                .functions
                .get(function)
                .map_or(function.as_str(), |f| f.function_name.as_str());
            let _ = writeln!(
                s,
                "authorizer {name} on $connect -> {fname} (identity: {})",
                identity_sources.join(", ")
            );
        }
        Some(Authorizer::Iam) => {
            let _ = writeln!(s, "authorizer IAM on $connect");
        }
        None => {}
    }
    if let Some(d) = &c.domain {
        let path = d
            .path
            .as_deref()
            .map(|p| format!("/{p}"))
            .unwrap_or_default();
        let dns = if d.external {
            "external DNS".to_owned()
        } else {
            format!("zone {}", d.hosted_zone)
        };
        let _ = writeln!(s, "domain wss://{}{path} ({dns})", d.name);
    }
    if let Some(a) = &c.api.access_log {
        match &a.destination {
            LogDestination::Managed { group_name, .. } => {
                let _ = writeln!(s, "access log {group_name}");
            }
            LogDestination::Existing { arn } => {
                let _ = writeln!(s, "access log {arn}");
            }
        }
    }
    s
}

/// A route and the function behind it: its settings, or the ARN of an
/// external function.
fn route_line(c: &Config, key: &str, route: &Route, width: usize) -> Option<String> {
    if c.is_external(&route.function) {
        return Some(format!("  {key:<width$}  -> {} (external)", route.function));
    }
    let f = c.functions.get(&route.function)?;
    let env = if f.environment.is_empty() {
        "no env".to_owned()
    } else {
        format!(
            "env {}",
            f.environment.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    let two_way = if route.return_response {
        ", two-way"
    } else {
        ""
    };
    Some(format!(
        "  {key:<width$}  -> {} ({}, {} MB, {} s, {}, {env}{two_way})",
        f.function_name,
        f.runtime,
        f.memory_size,
        f.timeout,
        f.architecture.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{LoadOptions, load_text};
    use crate::diagnostic::Diagnostics;

    #[test]
    fn an_external_route_shows_its_arn() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invalid/wsdeploy.yml");
        let yaml = "app: demo\nroutes:\n  $default: src/handler.message\n  legacy: arn:aws:lambda:us-east-1:123456789012:function:existing:live\n";
        let env = |_: &str| None;
        let opts = LoadOptions {
            stage: None,
            region: None,
            env_region: Some("us-east-1"),
            env: &env,
        };
        let c = load_text(&file, yaml, &opts, &mut Diagnostics::default()).expect("valid");
        let text = text(&c);
        assert!(
            text.contains("api demo-dev (2 routes, 1 functions)"),
            "{text}"
        );
        assert!(
            text.contains(
                "  legacy    -> arn:aws:lambda:us-east-1:123456789012:function:existing:live (external)"
            ),
            "{text}"
        );
    }
}
