//! `${...}` interpolation in string values.
//!
//! Supported: `${stage}`, `${app}`, `${region}`, `${env:NAME}` and
//! `${env:NAME, default}`; `$${` writes a literal `${`. Mapping keys are not
//! interpolated. A node whose text changed is marked `interpolated` so that
//! no later message quotes it: it may carry an environment variable's value.

use std::cell::Cell;

use super::node::{Node, Pos, Value};
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};

/// The most text `${...}` may produce in one file, in bytes: the parser's
/// budget for scalar text. The parser's budgets count `${app}` as six
/// bytes however long `app` is, so a long value repeated (by hand or
/// behind YAML aliases) would otherwise multiply without bound. Real files
/// produce a few kilobytes.
pub const MAX_EXPANDED_BYTES: usize = 8 * 1024 * 1024;

/// The values `${...}` can name besides the environment.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub app: Option<String>,
    pub stage: Option<String>,
    pub region: Option<String>,
    /// Bytes of interpolated text produced so far, against
    /// `MAX_EXPANDED_BYTES`.
    pub expanded: Cell<usize>,
}

/// Looks up an environment variable. Injected so tests need not touch the
/// process environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Replaces every `${...}` in the string scalars under `node`.
pub fn interpolate_tree(
    node: &mut Node,
    path: &str,
    vars: &Vars,
    env: EnvLookup,
    diags: &mut Diagnostics,
) {
    match &mut node.value {
        Value::Str(s) if s.contains("${") => {
            if let Some(out) = interpolate_str(s, node.pos, path, vars, env, diags)
                && out != *s
            {
                *s = out;
                node.interpolated = true;
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate_tree(item, &format!("{path}[{i}]"), vars, env, diags);
            }
        }
        Value::Map(entries) => {
            for e in entries {
                let p = if path.is_empty() {
                    e.key.clone()
                } else {
                    format!("{path}.{}", e.key)
                };
                interpolate_tree(&mut e.value, &p, vars, env, diags);
            }
        }
        _ => {}
    }
}

/// Interpolates one string; `None` after reporting an error.
pub fn interpolate_str(
    text: &str,
    pos: Pos,
    path: &str,
    vars: &Vars,
    env: EnvLookup,
    diags: &mut Diagnostics,
) -> Option<String> {
    if vars.expanded.get() > MAX_EXPANDED_BYTES {
        return None; // Reported once, where the budget ran out.
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut ok = true;
    while let Some(i) = rest.find("${") {
        // `$${` is an escaped literal `${`.
        if i > 0 && rest.as_bytes()[i - 1] == b'$' {
            out.push_str(&rest[..i - 1]);
            out.push_str("${");
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            diags.push(
                Diagnostic::error(Some(pos), path, "unterminated `${` in a string")
                    .with_hint("close it with `}`, or write `$${` for a literal `${`"),
            );
            return None;
        };
        let expr = after[..end].trim();
        match resolve(expr, vars, env) {
            Ok((v, from_env)) => {
                let total = vars
                    .expanded
                    .get()
                    .saturating_add(out.len())
                    .saturating_add(v.len());
                if total > MAX_EXPANDED_BYTES {
                    vars.expanded.set(usize::MAX);
                    diags.push(
                        Diagnostic::error(
                            Some(pos),
                            path,
                            format!(
                                "`${{...}}` expands to more than {} MiB of text in this file",
                                MAX_EXPANDED_BYTES >> 20
                            ),
                        )
                        .with_hint(
                            "a long value is repeated too often, directly or through YAML aliases",
                        ),
                    );
                    return None;
                }
                if from_env {
                    diags.secrets.push(v.clone());
                }
                out.push_str(&v);
            }
            Err(d) => {
                diags.push(Diagnostic {
                    pos: Some(pos),
                    path: path.to_owned(),
                    ..d
                });
                ok = false;
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    vars.expanded
        .set(vars.expanded.get().saturating_add(out.len()));
    ok.then_some(out)
}

/// The value of one `${...}` and whether it came from the environment.
fn resolve(expr: &str, vars: &Vars, env: EnvLookup) -> Result<(String, bool), Diagnostic> {
    let err = |m: String| Diagnostic::error(None, "", m);
    if let Some(spec) = expr.strip_prefix("env:") {
        let (name, default) = match spec.split_once(',') {
            Some((n, d)) => (n.trim(), Some(unquote(d.trim()))),
            None => (spec.trim(), None),
        };
        if !is_env_name(name) {
            return Err(err(format!("`{name}` is not an environment variable name"))
                .with_hint("names are letters, digits and `_`, not starting with a digit"));
        }
        return match (env(name), default) {
            (Some(v), _) => Ok((v, true)),
            (None, Some(d)) => Ok((d.to_owned(), false)),
            (None, None) => Err(err(format!("environment variable `{name}` is not set"))
                .with_hint(format!(
                    "set it, or give a default: `${{env:{name}, <default>}}`"
                ))),
        };
    }
    let value = match expr {
        "app" => &vars.app,
        "stage" => &vars.stage,
        "region" => &vars.region,
        _ => {
            let hint = match did_you_mean(expr, ["app", "stage", "region", "env"]) {
                Some("env") | None => "known: `${app}`, `${stage}`, `${region}`, `${env:NAME}`, `${env:NAME, default}`; `$${` writes a literal `${`".to_owned(),
                Some(s) => format!("did you mean `${{{s}}}`?"),
            };
            return Err(err(format!("unknown variable `${{{expr}}}`")).with_hint(hint));
        }
    };
    match value {
        Some(v) => Ok((v.clone(), false)),
        None if expr == "region" => {
            Err(err("`${region}` is used but no region is known".to_owned())
                .with_hint("set `region:` in the file, pass `--region`, or set AWS_REGION"))
        }
        None => Err(err(format!(
            "`${{{expr}}}` is used but `{expr}` has no value"
        ))),
    }
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, env: &[(&str, &str)]) -> (Option<String>, Vec<Diagnostic>) {
        let vars = Vars {
            app: Some("chat".into()),
            stage: Some("dev".into()),
            region: None,
            ..Vars::default()
        };
        let lookup = |k: &str| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        let mut d = Diagnostics::default();
        let out = interpolate_str(text, Pos::START, "x", &vars, &lookup, &mut d);
        (out, d.items)
    }

    #[test]
    fn substitutes_builtins_and_env() {
        assert_eq!(run("${app}-${stage}", &[]).0.as_deref(), Some("chat-dev"));
        assert_eq!(run("${env:T}", &[("T", "v")]).0.as_deref(), Some("v"));
        assert_eq!(run("${env:T, 'd'}", &[]).0.as_deref(), Some("d"));
        assert_eq!(run("${env:T, 10}", &[]).0.as_deref(), Some("10"));
        assert_eq!(run("${ env:T , x y }", &[]).0.as_deref(), Some("x y"));
        assert_eq!(run("a $${stage} b", &[]).0.as_deref(), Some("a ${stage} b"));
    }

    #[test]
    fn errors_name_the_variable_never_a_value() {
        let (out, d) = run("${env:SECRET_THING}", &[("OTHER", "hunter2")]);
        assert!(out.is_none());
        assert!(d[0].message.contains("SECRET_THING"));
        let (_, d) = run("${stag}", &[]);
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `${stage}`?"));
        let (_, d) = run("${region}", &[]);
        assert!(d[0].message.contains("no region"));
        let (_, d) = run("${env:A", &[]);
        assert!(d[0].message.contains("unterminated"));
    }

    #[test]
    fn reports_every_error_in_one_string() {
        let (_, d) = run("${nope} ${env:MISSING}", &[]);
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn a_long_value_repeated_is_refused_not_multiplied() {
        // `${app}` behind nested aliases reaches here once per copy: 1,000
        // copies of a 100 KB name would be 100 MB.
        let vars = Vars {
            app: Some("x".repeat(100_000)),
            ..Vars::default()
        };
        let lookup = |_: &str| None;
        let mut d = Diagnostics::default();
        let produced: usize = (0..1000)
            .filter_map(|_| interpolate_str("${app}", Pos::START, "x", &vars, &lookup, &mut d))
            .map(|s| s.len())
            .sum();
        assert!(produced <= MAX_EXPANDED_BYTES, "{produced}");
        assert_eq!(d.items.len(), 1, "reported once: {:?}", d.items);
        assert!(d.items[0].message.contains("expands to more than 8 MiB"));
    }
}
