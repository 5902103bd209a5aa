//! `${...}` interpolation in string values.
//!
//! Supported: `${stage}`, `${app}`, `${region}`, `${env:NAME}`,
//! `${env:NAME, default}`, `${ssm:NAME}` and `${ssm:NAME, default}` (see
//! `config::ssm`; the name may use `${app}`, `${stage}` and `${region}`);
//! `$${` writes a literal `${`. Mapping keys are not interpolated. A node
//! whose text changed is marked `interpolated` so that no later message
//! quotes it: it may carry an environment variable's value or a secret from
//! SSM.

use std::cell::{Cell, RefCell};

use super::node::{Node, Pos, Value};
use super::ssm::{self, Ssm, SsmRef};
use crate::diagnostic::{Diagnostic, Diagnostics, did_you_mean};

/// The most text `${...}` may produce in one file, in bytes: the parser's
/// budget for scalar text. The parser's budgets count `${app}` as six
/// bytes however long `app` is, so a long value repeated (by hand or
/// behind YAML aliases) would otherwise multiply without bound. Real files
/// produce a few kilobytes.
pub const MAX_EXPANDED_BYTES: usize = 8 * 1024 * 1024;

/// The values `${...}` can name besides the environment.
#[derive(Debug, Clone, Default)]
pub struct Vars<'a> {
    pub app: Option<String>,
    pub stage: Option<String>,
    pub region: Option<String>,
    /// What `${ssm:...}` becomes.
    pub ssm: Ssm<'a>,
    /// Every `${ssm:...}` met so far.
    pub ssm_refs: RefCell<Vec<SsmRef>>,
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
            let refs = vars.ssm_refs.borrow().len();
            if let Some(out) = interpolate_str(s, node.pos, path, vars, env, diags)
                && out != *s
            {
                *s = out;
                node.interpolated = true;
            }
            if matches!(vars.ssm, Ssm::Offline) && vars.ssm_refs.borrow().len() > refs {
                diags.pending.push(node.pos);
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
        let Some(end) = closing_brace(after) else {
            diags.push(
                Diagnostic::error(Some(pos), path, "unterminated `${` in a string")
                    .with_hint("close it with `}`, or write `$${` for a literal `${`"),
            );
            return None;
        };
        let expr = after[..end].trim();
        let resolved = match expr.strip_prefix("ssm:") {
            Some(spec) => resolve_ssm(spec, pos, path, vars),
            None => resolve(expr, vars, env),
        };
        match resolved {
            Ok((v, secret)) => {
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
                if secret {
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

/// Where the `}` that closes a `${` is in `after` (the text after it):
/// the first one, but for `${ssm:...}`, whose name may hold `${app}`,
/// `${stage}` and `${region}`.
fn closing_brace(after: &str) -> Option<usize> {
    if !after.trim_start().starts_with("ssm:") {
        return after.find('}');
    }
    let bytes = after.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// `${ssm:NAME[, default]}`: the value (a secret when it came from SSM),
/// the placeholder offline, or the default when the parameter was not
/// found. Records the reference.
fn resolve_ssm(
    spec: &str,
    pos: Pos,
    path: &str,
    vars: &Vars,
) -> Result<(String, bool), Diagnostic> {
    if matches!(vars.ssm, Ssm::Refused) {
        return Err(ssm::refused(path));
    }
    let spec = builtins_in_name(spec, vars)?;
    let (name, default) = match spec.split_once(',') {
        Some((n, d)) => (n.trim(), Some(unquote(d.trim()).to_owned())),
        None => (spec.trim(), None),
    };
    ssm::check_name(name)?;
    vars.ssm_refs.borrow_mut().push(SsmRef {
        name: name.to_owned(),
        default: default.clone(),
        pos,
        path: path.to_owned(),
    });
    match (vars.ssm, default) {
        (Ssm::Values(values), default) => match (values.get(name), default) {
            (Some(v), _) => Ok((v.clone(), true)),
            (None, Some(d)) => Ok((d, false)),
            (None, None) => Err(ssm::missing(name, vars.region.as_deref())),
        },
        _ => Ok((ssm::placeholder(name), false)),
    }
}

/// `${app}`, `${stage}` and `${region}` replaced in the text of a
/// `${ssm:...}` (per-stage names: `/${app}/${stage}/db-password`).
fn builtins_in_name(spec: &str, vars: &Vars) -> Result<String, Diagnostic> {
    let mut out = String::with_capacity(spec.len());
    let mut rest = spec;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find('}').unwrap_or(after.len());
        let inner = after[..end].trim();
        if !matches!(inner, "app" | "stage" | "region") {
            return Err(Diagnostic::error(
                None,
                "",
                format!("`${{{inner}}}` cannot be used inside `${{ssm:...}}`"),
            )
            .with_hint("a parameter name may use `${app}`, `${stage}` and `${region}`"));
        }
        out.push_str(&resolve(inner, vars, &|_| None)?.0);
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
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
            let hint = match did_you_mean(expr, ["app", "stage", "region", "env", "ssm"]) {
                Some("env" | "ssm") | None => "known: `${app}`, `${stage}`, `${region}`, `${env:NAME}`, `${env:NAME, default}`, `${ssm:NAME}`, `${ssm:NAME, default}`; `$${` writes a literal `${`".to_owned(),
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

    /// Interpolates `text` as the value of a node with `ssm`; the output,
    /// the diagnostics, the references and whether the node is pending.
    fn run_ssm(text: &str, ssm: Ssm) -> (Option<String>, Diagnostics, Vec<SsmRef>) {
        let vars = Vars {
            app: Some("chat".into()),
            stage: Some("prod".into()),
            region: Some("eu-west-1".into()),
            ssm,
            ..Vars::default()
        };
        let mut node = Node {
            pos: Pos {
                line: 3,
                column: 5,
                len: text.len() as u32,
            },
            value: Value::Str(text.to_owned()),
            interpolated: false,
        };
        let mut d = Diagnostics::default();
        interpolate_tree(&mut node, "tags.t", &vars, &|_| None, &mut d);
        let out = match node.value {
            Value::Str(s) if d.items.is_empty() => Some(s),
            _ => None,
        };
        (out, d, vars.ssm_refs.into_inner())
    }

    #[test]
    fn ssm_names_defaults_and_builtins_in_names() {
        let (out, d, refs) = run_ssm(
            "${ssm:/chat/db} ${ ssm:plain } ${ssm:/a/b, x, y z } ${ssm:/q, 'quoted, }' }",
            Ssm::Offline,
        );
        assert_eq!(d.items, []);
        assert_eq!(
            out.as_deref(),
            Some("ssm:/chat/db ssm:plain ssm:/a/b ssm:/q' }"),
            "the default ends at the first `}}` after the name"
        );
        let got: Vec<(&str, Option<&str>)> = refs
            .iter()
            .map(|r| (r.name.as_str(), r.default.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("/chat/db", None),
                ("plain", None),
                ("/a/b", Some("x, y z")),
                ("/q", Some("'quoted,"))
            ]
        );
        assert_eq!(refs[0].path, "tags.t");
        let (_, d, refs) = run_ssm("${ssm:/${app}/${ stage }/${region}/key}", Ssm::Offline);
        assert_eq!(d.items, []);
        assert_eq!(refs[0].name, "/chat/prod/eu-west-1/key");
    }

    #[test]
    fn ssm_offline_is_a_placeholder_and_the_node_is_pending() {
        let (out, d, refs) = run_ssm("key-${ssm:/chat/key}", Ssm::Offline);
        assert_eq!(out.as_deref(), Some("key-ssm:/chat/key"));
        assert_eq!(refs.len(), 1);
        assert_eq!(d.pending.len(), 1, "{d:?}");
        assert!(d.secrets.is_empty());
        // Not pending: no `${ssm:...}`, or the values are known.
        let (_, d, _) = run_ssm("${app}", Ssm::Offline);
        assert!(d.pending.is_empty());
        let values = ssm::SsmValues::from([("/chat/key".to_owned(), "s3cret-v".to_owned())]);
        let (out, d, _) = run_ssm("key-${ssm:/chat/key}", Ssm::Values(&values));
        assert_eq!(out.as_deref(), Some("key-s3cret-v"));
        assert!(d.pending.is_empty());
        assert_eq!(d.secrets, ["s3cret-v"]);
    }

    #[test]
    fn ssm_values_defaults_and_missing_parameters() {
        let values = ssm::SsmValues::from([("/found".to_owned(), "v4lue".to_owned())]);
        let (out, d, _) = run_ssm("${ssm:/found, d}|${ssm:/gone, d f}", Ssm::Values(&values));
        assert_eq!(out.as_deref(), Some("v4lue|d f"));
        assert_eq!(d.secrets, ["v4lue"], "a default is not a secret");
        let (out, d, _) = run_ssm("${ssm:/gone} ${ssm:/also-gone}", Ssm::Values(&values));
        assert!(out.is_none());
        assert_eq!(d.items.len(), 2);
        assert!(
            d.items[0]
                .message
                .contains("`/gone` does not exist in eu-west-1")
        );
        assert!(d.items[1].message.contains("`/also-gone`"));
        assert_eq!(d.items[0].path, "tags.t");
    }

    #[test]
    fn ssm_malformed_is_an_error_at_the_value() {
        for (text, says) in [
            ("${ssm:}", "names no parameter"),
            ("${ssm:a b}", "is not an SSM parameter name"),
            ("${ssm:/a/b:2}", "is not an SSM parameter name"),
            ("${ssm:/a", "unterminated"),
            ("${ssm:/${env:X}/b}", "cannot be used inside"),
            ("${ssm:/${nope}}", "cannot be used inside"),
        ] {
            let (out, d, refs) = run_ssm(text, Ssm::Offline);
            assert!(out.is_none(), "{text}");
            assert!(
                d.items.iter().any(|i| i.message.contains(says)),
                "{text}: {:?}",
                d.items
            );
            assert_eq!(d.items[0].pos.map(|p| p.line), Some(3), "{text}");
            assert!(refs.is_empty(), "{text}");
        }
        let (out, d, refs) = run_ssm("$${ssm:/literal} ${ssm}", Ssm::Offline);
        assert!(out.is_none());
        assert!(refs.is_empty());
        let hint = d.items[0].hint.as_deref().unwrap_or_default();
        assert!(hint.contains("`${ssm:NAME, default}`"), "{hint}");
        let (out, _, refs) = run_ssm("$${ssm:/literal}", Ssm::Offline);
        assert_eq!(out.as_deref(), Some("${ssm:/literal}"));
        assert!(refs.is_empty());
    }

    #[test]
    fn ssm_refused_where_the_deployment_is_named() {
        let (out, d, refs) = run_ssm("${ssm:/chat/name}", Ssm::Refused);
        assert!(out.is_none());
        assert!(refs.is_empty());
        assert!(d.items[0].message.contains("`tags` cannot come from SSM"));
    }
}
