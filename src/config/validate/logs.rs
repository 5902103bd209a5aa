//! Logs: the retention of a log group (a function's, or the access log's),
//! which is one of CloudWatch Logs' periods in days or SST's name for one,
//! and a function's `logs` setting, merged over `defaults.function.logs` key
//! by key and resolved into `model::Logs`.
//!
//! A retention is checked where it is written, once per body. A `level`
//! applies to JSON logs only (Lambda ignores it for text): a function's own
//! `level` with text logs is a warning at that `level` (the contract's own
//! example writes `format: text` beside `level: INFO`, so it must stay
//! valid); a level from `defaults.function` is warned about there when the
//! function's text logs come from the defaults too, and is simply not used
//! by a function that sets `format: text` itself.

use super::{Origin, Validator};
use crate::config::model::{AppLogLevel, DEFAULT_LOG_RETENTION_DAYS, LogFormat, Logs};
use crate::config::raw::{RETENTION_DAYS, RETENTION_NAMES, RawFunction, RawLogs, RawRetention};
use crate::config::read::{S, child};
use crate::diagnostic::did_you_mean;

/// The days a retention stands for (`Some(None)`: events never expire), or
/// `None` when it is neither a period CloudWatch Logs offers nor a name.
pub(super) fn retention_days(r: &RawRetention) -> Option<Option<i64>> {
    match r {
        RawRetention::Days(d) => RETENTION_DAYS.contains(d).then_some(Some(*d)),
        RawRetention::Name(n) => RETENTION_NAMES
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, days)| *days),
    }
}

/// The retention names, in order.
fn names() -> impl Iterator<Item = &'static str> {
    RETENTION_NAMES.iter().map(|(n, _)| *n)
}

/// The periods in days, for a hint: `1, 3, 5, ..., 3653`.
fn days_list() -> String {
    let days: Vec<String> = RETENTION_DAYS.iter().map(i64::to_string).collect();
    days.join(", ")
}

/// The hint for a number of days CloudWatch Logs does not offer.
fn days_hint() -> String {
    format!(
        "use one of: {} (days), or a name such as `one_month` or `infinite`",
        days_list()
    )
}

/// The hint for a name that is none, with nothing close to it.
fn names_hint() -> String {
    let names: Vec<&str> = names().collect();
    format!(
        "use one of: {}; or a number of days: {}",
        names.join(", "),
        days_list()
    )
}

impl Validator<'_, '_, '_> {
    /// The days of the retention `r` (`None` inside: never expire), after
    /// reporting it at its position when it is not one.
    pub(super) fn check_retention(
        &mut self,
        r: &S<RawRetention>,
        path: &str,
    ) -> Option<Option<i64>> {
        if let Some(days) = retention_days(&r.value) {
            return Some(days);
        }
        let shown = |text: String| {
            if r.interpolated {
                "the interpolated value".to_owned()
            } else {
                text
            }
        };
        let (msg, hint) = match &r.value {
            RawRetention::Days(d) => (
                format!(
                    "{} is not a CloudWatch Logs retention period",
                    shown(format!("{d} days"))
                ),
                days_hint(),
            ),
            RawRetention::Name(n) => (
                format!("{} is not a retention period", shown(format!("`{n}`"))),
                match did_you_mean(n, names()) {
                    Some(s) if !r.interpolated => format!("did you mean `{s}`?"),
                    _ => names_hint(),
                },
            ),
        };
        self.err_hint(r.pos, path, msg, hint);
        None
    }

    /// Checks the `logs` one function body sets (`path` is the key path of
    /// its `logs`), where it is written.
    pub(super) fn check_logs_fields(&mut self, l: &RawLogs, path: &str) {
        if let Some(r) = &l.retention {
            self.check_retention(r, &child(path, "retention"));
        }
    }

    /// The function's `logs` over the defaults', key by key (a `level` that
    /// would not apply is warned about and left out). `None` when a
    /// retention is invalid (reported where it is written).
    pub(super) fn merged_logs(
        &mut self,
        f: &RawFunction,
        d: &RawFunction,
        origin: &Origin,
    ) -> Option<Logs> {
        let empty = RawLogs::default();
        let own = f.logs.as_ref().unwrap_or(&empty);
        let defaults = d.logs.as_ref().unwrap_or(&empty);
        let retention_days = match own.retention.as_ref().or(defaults.retention.as_ref()) {
            Some(r) => retention_days(&r.value)?,
            None => Some(DEFAULT_LOG_RETENTION_DAYS),
        };
        let format_set = own.format.as_ref().or(defaults.format.as_ref());
        let format = format_set.map_or(LogFormat::Text, |f| f.value);
        let level = match (format, &own.level, &defaults.level) {
            (LogFormat::Json, own_level, default_level) => Some(
                own_level
                    .as_ref()
                    .or(default_level.as_ref())
                    .map_or(AppLogLevel::Info, |l| l.value),
            ),
            (LogFormat::Text, Some(l), _) => {
                let path = child(&child(origin.body_path(), "logs"), "level");
                self.level_without_json(l, &path, format_set.is_some());
                None
            }
            (LogFormat::Text, None, Some(l)) if own.format.is_none() => {
                self.level_without_json(
                    l,
                    "defaults.function.logs.level",
                    defaults.format.is_some(),
                );
                None
            }
            (LogFormat::Text, None, _) => None,
        };
        Some(Logs {
            retention_days,
            format,
            level,
        })
    }

    /// `level` set where the logs are text; `text_set` when `format: text`
    /// is written rather than the default.
    /// Reported once, though a default `level` is met by every function.
    fn level_without_json(&mut self, l: &S<AppLogLevel>, path: &str, text_set: bool) {
        let reported = self
            .r
            .diags
            .items
            .iter()
            .any(|d| d.pos == Some(l.pos) && d.path == path);
        if reported {
            return;
        }
        let hint = if text_set {
            "set `format: json` for it to apply, or remove `level`"
        } else {
            "add `format: json` for it to apply"
        };
        self.r.warning(
            l.pos,
            path,
            format!("`level` has no effect with text logs: Lambda applies the log level to JSON logs only; {hint}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::model::{Config, LogDestination};
    use crate::config::{LoadOptions, load_text};
    use crate::diagnostic::{Diagnostic, Diagnostics, Severity};

    /// Loads `yaml` as if it were a file in fixtures/invalid, whose
    /// `src/handler.mjs` exports `connect`, `disconnect`, `message` and
    /// `auth`; `${env:RET}` is `env_ret`.
    fn load_env(yaml: &str, env_ret: &str) -> Result<Config, Vec<Diagnostic>> {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invalid/wsdeploy.yml");
        let env = |name: &str| (name == "RET").then(|| env_ret.to_owned());
        let opts = LoadOptions {
            stage: None,
            region: None,
            env_region: Some("us-east-1"),
            env: &env,
        };
        let mut diags = Diagnostics::default();
        let config = load_text(&file, yaml, &opts, &mut diags);
        let errors: Vec<Diagnostic> = diags
            .items
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        match config {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(errors),
        }
    }

    fn load(yaml: &str) -> Result<Config, Vec<Diagnostic>> {
        load_env(yaml, "")
    }

    /// The one error of an invalid config.
    fn error(yaml: &str) -> Diagnostic {
        let errors = load(yaml).expect_err("the config is invalid");
        assert_eq!(errors.len(), 1, "{errors:#?}");
        errors.into_iter().next().unwrap()
    }

    /// The one warning of a valid config.
    fn warning(yaml: &str) -> Diagnostic {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invalid/wsdeploy.yml");
        let env = |_: &str| None;
        let opts = LoadOptions {
            stage: None,
            region: None,
            env_region: Some("us-east-1"),
            env: &env,
        };
        let mut diags = Diagnostics::default();
        let config = load_text(&file, yaml, &opts, &mut diags);
        assert!(config.is_some(), "{:#?}", diags.items);
        let warnings: Vec<Diagnostic> = diags
            .items
            .into_iter()
            .filter(|d| d.severity == Severity::Warning)
            .collect();
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        warnings.into_iter().next().unwrap()
    }

    fn logs(yaml: &str, function: &str) -> Logs {
        match load(yaml) {
            Ok(c) => c.functions[function].logs.clone(),
            Err(e) => panic!("{yaml}\n{e:#?}"),
        }
    }

    fn logs_of_default(settings: &str) -> Logs {
        let yaml = format!(
            "app: demo\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      logs: {settings}\n"
        );
        logs(&yaml, "default")
    }

    const ONE_ROUTE: &str = "app: demo\nroutes:\n  $default: src/handler.message\n";

    #[test]
    fn a_function_keeps_its_logs_30_days_as_text_by_default() {
        let l = logs(ONE_ROUTE, "default");
        assert_eq!(l, Logs::default());
        assert_eq!(
            l,
            Logs {
                retention_days: Some(30),
                format: LogFormat::Text,
                level: None,
            }
        );
    }

    #[test]
    fn logs_merge_key_by_key_over_the_defaults() {
        let yaml = "app: demo\ndefaults:\n  function:\n    logs: { retention: one_week, format: text }\nfunctions:\n  ws:\n    handler: src/handler.message\n    logs: { format: json }\n  other:\n    handler: src/handler.connect\n    logs: { retention: 90 }\nroutes:\n  $default: ws\n  $connect: other\n";
        assert_eq!(
            logs(yaml, "ws"),
            Logs {
                retention_days: Some(7),
                format: LogFormat::Json,
                level: Some(AppLogLevel::Info),
            }
        );
        assert_eq!(
            logs(yaml, "other"),
            Logs {
                retention_days: Some(90),
                format: LogFormat::Text,
                level: None,
            }
        );
    }

    #[test]
    fn logs_are_read_wherever_a_function_is_written() {
        let yaml = "app: demo\nfunctions:\n  ws:\n    handler: src/handler.message\n    logs: { retention: 1 }\nroutes:\n  $default: ws\n  $connect:\n    function:\n      handler: src/handler.connect\n      logs: { retention: 3 }\nauthorizer:\n  function:\n    handler: src/handler.auth\n    logs: { retention: 5 }\n";
        let c = load(yaml).unwrap();
        let days = |f: &str| c.functions[f].logs.retention_days;
        assert_eq!(
            (days("ws"), days("connect"), days("authorizer")),
            (Some(1), Some(3), Some(5))
        );
    }

    #[test]
    fn every_sst_name_stands_for_its_days() {
        let expected = [
            ("one_day", 1),
            ("three_days", 3),
            ("five_days", 5),
            ("one_week", 7),
            ("two_weeks", 14),
            ("one_month", 30),
            ("two_months", 60),
            ("three_months", 90),
            ("four_months", 120),
            ("five_months", 150),
            ("six_months", 180),
            ("one_year", 365),
            ("thirteen_months", 400),
            ("eighteen_months", 545),
            ("two_years", 731),
            ("three_years", 1096),
            ("five_years", 1827),
            ("six_years", 2192),
            ("seven_years", 2557),
            ("eight_years", 2922),
            ("nine_years", 3288),
            ("ten_years", 3653),
        ];
        for (name, days) in expected {
            let r = RawRetention::Name(name.to_owned());
            assert_eq!(retention_days(&r), Some(Some(days)), "{name}");
            assert_eq!(retention_days(&RawRetention::Days(days)), Some(Some(days)));
        }
        // One name per CloudWatch Logs period, and `infinite`.
        assert_eq!(RETENTION_NAMES.len(), expected.len() + 1);
        assert_eq!(RETENTION_DAYS.len(), expected.len());
        assert_eq!(
            logs_of_default("{ retention: thirteen_months }").retention_days,
            Some(400)
        );
    }

    #[test]
    fn infinite_means_no_retention() {
        let r = RawRetention::Name("infinite".to_owned());
        assert_eq!(retention_days(&r), Some(None));
        assert_eq!(
            logs_of_default("{ retention: infinite }").retention_days,
            None
        );
    }

    #[test]
    fn a_retention_cloudwatch_does_not_offer_is_an_error_that_lists_them() {
        let e = error(
            "app: demo\ndefaults:\n  function:\n    logs:\n      retention: 31\nroutes:\n  $default: src/handler.message\n",
        );
        assert_eq!(e.path, "defaults.function.logs.retention");
        assert_eq!((e.pos.unwrap().line, e.pos.unwrap().column), (5, 18));
        assert_eq!(
            e.message,
            "31 days is not a CloudWatch Logs retention period"
        );
        let hint = e.hint.unwrap();
        assert_eq!(
            hint,
            "use one of: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653 (days), or a name such as `one_month` or `infinite`"
        );
    }

    #[test]
    fn a_misspelt_name_gets_a_did_you_mean() {
        let e = error(
            "app: demo\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      logs: { retention: one_wek }\n",
        );
        assert_eq!(e.path, "routes.$default.function.logs.retention");
        assert_eq!((e.pos.unwrap().line, e.pos.unwrap().column), (6, 26));
        assert_eq!(e.message, "`one_wek` is not a retention period");
        assert_eq!(e.hint.as_deref(), Some("did you mean `one_week`?"));
        // Nothing close: the whole list.
        let e = error(
            "app: demo\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      logs: { retention: forever }\n",
        );
        let hint = e.hint.unwrap();
        assert!(
            hint.starts_with("use one of: one_day, three_days, five_days, one_week,"),
            "{hint}"
        );
        assert!(hint.contains("ten_years, infinite; or a number of days: 1, 3, 5,"));
    }

    #[test]
    fn a_retention_from_the_environment_is_read_but_never_quoted() {
        let yaml = "app: demo\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      logs: { retention: \"${env:RET}\" }\n";
        let c = load_env(yaml, "one_week").unwrap();
        assert_eq!(c.functions["default"].logs.retention_days, Some(7));
        let c = load_env(yaml, "14").unwrap();
        assert_eq!(c.functions["default"].logs.retention_days, Some(14));
        for secret in ["one_wek", "4242"] {
            let e = load_env(yaml, secret).unwrap_err();
            assert_eq!(e.len(), 1, "{e:#?}");
            let text = format!("{} {}", e[0].message, e[0].hint.as_deref().unwrap_or(""));
            assert!(!text.contains(secret), "{text}");
            assert!(text.contains("the interpolated value"), "{text}");
        }
    }

    #[test]
    fn json_logs_default_to_info_and_take_a_level() {
        let l = logs_of_default("{ format: json }");
        assert_eq!(
            (l.format, l.level),
            (LogFormat::Json, Some(AppLogLevel::Info))
        );
        let l = logs_of_default("{ format: json, level: DEBUG }");
        assert_eq!(l.level, Some(AppLogLevel::Debug));
        // A default level reaches the functions with JSON logs.
        let yaml = "app: demo\ndefaults:\n  function:\n    logs: { level: WARN }\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      logs: { format: json }\n";
        assert_eq!(logs(yaml, "default").level, Some(AppLogLevel::Warn));
    }

    #[test]
    fn a_level_without_json_logs_is_a_warning_at_the_level() {
        let yaml = "app: demo\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      logs: { level: DEBUG }\n";
        let w = warning(yaml);
        assert_eq!(w.path, "routes.$default.function.logs.level");
        assert_eq!((w.pos.unwrap().line, w.pos.unwrap().column), (6, 22));
        assert!(
            w.message.contains("JSON logs only") && w.message.contains("add `format: json`"),
            "{}",
            w.message
        );
        // Still valid, and the level is not used.
        assert_eq!(logs(yaml, "default").level, None);
        // Text from the defaults: the function's level is warned about.
        let w = warning(
            "app: demo\ndefaults:\n  function:\n    logs: { format: text }\nfunctions:\n  ws:\n    handler: src/handler.message\n    logs: { level: ERROR }\nroutes:\n  $default: ws\n",
        );
        assert_eq!(w.path, "functions.ws.logs.level");
        assert!(
            w.message
                .contains("set `format: json` for it to apply, or remove `level`"),
            "{}",
            w.message
        );
    }

    #[test]
    fn the_contracts_example_of_text_logs_with_a_level_is_valid() {
        let yaml = "app: demo\ndefaults:\n  function:\n    logs:\n      retention: 30\n      format: text\n      level: INFO\nroutes:\n  $default: src/handler.message\n";
        let l = logs(yaml, "default");
        assert_eq!(
            (l.retention_days, l.format, l.level),
            (Some(30), LogFormat::Text, None)
        );
    }

    #[test]
    fn a_default_level_without_json_is_reported_once_at_the_default() {
        let w = warning(
            "app: demo\ndefaults:\n  function:\n    logs: { level: DEBUG }\nroutes:\n  $default: src/handler.message\n  $connect: src/handler.connect\n",
        );
        assert_eq!(w.path, "defaults.function.logs.level");
        assert_eq!((w.pos.unwrap().line, w.pos.unwrap().column), (4, 20));
    }

    #[test]
    fn a_function_that_chooses_text_does_not_use_the_default_level() {
        let yaml = "app: demo\ndefaults:\n  function:\n    logs: { format: json, level: DEBUG }\nroutes:\n  $default:\n    function:\n      handler: src/handler.message\n      logs: { format: text }\n  $connect: src/handler.connect\n";
        let c = load(yaml).unwrap();
        let text = &c.functions["default"].logs;
        assert_eq!((text.format, text.level), (LogFormat::Text, None));
        let json = &c.functions["connect"].logs;
        assert_eq!(
            (json.format, json.level),
            (LogFormat::Json, Some(AppLogLevel::Debug))
        );
    }

    #[test]
    fn format_and_level_are_closed_sets() {
        let e = error(
            "app: demo\ndefaults:\n  function:\n    logs: { format: JSON }\nroutes:\n  $default: src/handler.message\n",
        );
        assert_eq!(e.path, "defaults.function.logs.format");
        assert_eq!(e.hint.as_deref(), Some("did you mean `json`?"));
        let e = error(
            "app: demo\ndefaults:\n  function:\n    logs: { format: json, level: info }\nroutes:\n  $default: src/handler.message\n",
        );
        assert_eq!(e.path, "defaults.function.logs.level");
        assert_eq!(e.hint.as_deref(), Some("did you mean `INFO`?"));
    }

    #[test]
    fn an_unknown_key_in_logs_is_an_error() {
        let e = error(
            "app: demo\nfunctions:\n  ws:\n    handler: src/handler.message\n    logs:\n      retension: 7\nroutes:\n  $default: ws\n",
        );
        assert_eq!(e.path, "functions.ws.logs.retension");
        assert_eq!((e.pos.unwrap().line, e.pos.unwrap().column), (6, 7));
        assert_eq!(e.message, "unknown key `retension`");
        assert_eq!(e.hint.as_deref(), Some("did you mean `retention`?"));
    }

    fn access_log_retention(value: &str) -> Result<Option<i64>, Vec<Diagnostic>> {
        let yaml = format!(
            "app: demo\napi:\n  accessLog:\n    retention: {value}\nroutes:\n  $default: src/handler.message\n"
        );
        let c = load(&yaml)?;
        match c.api.access_log.map(|a| a.destination) {
            Some(LogDestination::Managed { retention_days, .. }) => Ok(retention_days),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_access_log_takes_the_same_retentions() {
        assert_eq!(access_log_retention("one_week"), Ok(Some(7)));
        assert_eq!(access_log_retention("731"), Ok(Some(731)));
        assert_eq!(access_log_retention("infinite"), Ok(None));
        let e = access_log_retention("31").unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].path, "api.accessLog.retention");
        assert_eq!(
            e[0].message,
            "31 days is not a CloudWatch Logs retention period"
        );
        let e = access_log_retention("two_weks").unwrap_err();
        assert_eq!(e[0].hint.as_deref(), Some("did you mean `two_weeks`?"));
        // Without `retention`, the access log keeps its events forever, as before.
        let yaml = "app: demo\napi:\n  accessLog: true\nroutes:\n  $default: src/handler.message\n";
        assert!(matches!(
            load(yaml).unwrap().api.access_log.map(|a| a.destination),
            Some(LogDestination::Managed {
                retention_days: None,
                ..
            })
        ));
    }
}
