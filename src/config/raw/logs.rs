//! The raw `logs` setting of a function (its log group and the format Lambda
//! writes in) and the retention of a log group, which
//! `api.accessLog.retention` shares: their words, their types and how they
//! are read. Checked and resolved in `validate::logs`.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::config::node::{Node, Value};
use crate::config::read::{Reader, S};

/// The retention periods CloudWatch Logs offers, in days
/// (`PutRetentionPolicy`).
pub const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// SST's names for the retention periods (its `logRetention`, the CDK's
/// `RetentionDays` in lower case) and their days; `infinite` is no
/// retention at all: events never expire.
pub const RETENTION_NAMES: &[(&str, Option<i64>)] = &[
    ("one_day", Some(1)),
    ("three_days", Some(3)),
    ("five_days", Some(5)),
    ("one_week", Some(7)),
    ("two_weeks", Some(14)),
    ("one_month", Some(30)),
    ("two_months", Some(60)),
    ("three_months", Some(90)),
    ("four_months", Some(120)),
    ("five_months", Some(150)),
    ("six_months", Some(180)),
    ("one_year", Some(365)),
    ("thirteen_months", Some(400)),
    ("eighteen_months", Some(545)),
    ("two_years", Some(731)),
    ("three_years", Some(1096)),
    ("five_years", Some(1827)),
    ("six_years", Some(2192)),
    ("seven_years", Some(2557)),
    ("eight_years", Some(2922)),
    ("nine_years", Some(3288)),
    ("ten_years", Some(3653)),
    ("infinite", None),
];

/// How long a log group keeps its events, as written: days, or a name.
#[derive(Debug, Clone, PartialEq)]
pub enum RawRetention {
    Days(i64),
    Name(String),
}

impl JsonSchema for RawRetention {
    fn schema_name() -> Cow<'static, str> {
        "Retention".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = RETENTION_NAMES.iter().map(|(n, _)| *n).collect();
        json_schema!({
            "description": "Days to keep log events (a CloudWatch Logs value), or a name for them: `one_day` ... `ten_years`, or `infinite` to keep them forever.",
            "anyOf": [
                { "type": "integer", "enum": RETENTION_DAYS },
                { "type": "string", "enum": names },
            ],
        })
    }
}

/// The format Lambda writes the function's logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    pub const CHOICES: &'static [(&'static str, LogFormat)] =
        &[("text", LogFormat::Text), ("json", LogFormat::Json)];

    /// The value Lambda's API uses (`LoggingConfig.LogFormat`).
    pub fn aws(self) -> &'static str {
        match self {
            LogFormat::Text => "Text",
            LogFormat::Json => "JSON",
        }
    }
}

/// The application log level of JSON logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AppLogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl AppLogLevel {
    pub const CHOICES: &'static [(&'static str, AppLogLevel)] = &[
        ("TRACE", AppLogLevel::Trace),
        ("DEBUG", AppLogLevel::Debug),
        ("INFO", AppLogLevel::Info),
        ("WARN", AppLogLevel::Warn),
        ("ERROR", AppLogLevel::Error),
        ("FATAL", AppLogLevel::Fatal),
    ];

    /// The value Lambda's API uses (`LoggingConfig.ApplicationLogLevel`),
    /// as written in the config.
    pub fn aws(self) -> &'static str {
        match self {
            AppLogLevel::Trace => "TRACE",
            AppLogLevel::Debug => "DEBUG",
            AppLogLevel::Info => "INFO",
            AppLogLevel::Warn => "WARN",
            AppLogLevel::Error => "ERROR",
            AppLogLevel::Fatal => "FATAL",
        }
    }
}

/// The function's log group `/aws/lambda/<function name>` and how Lambda writes to it. Merged key by key over `defaults.function.logs`.
#[derive(Debug, Clone, Default, JsonSchema)]
#[schemars(rename_all = "camelCase", deny_unknown_fields, rename = "Logs")]
pub struct RawLogs {
    /// Days to keep the function's log events: a CloudWatch Logs value (1, 3, 5, 7, 14, 30, 60, 90, ...) or its name (`one_week`, `one_month`, ...); `infinite` keeps them forever. Default 30.
    pub retention: Option<S<RawRetention>>,
    /// `text` (default) or `json`.
    pub format: Option<S<LogFormat>>,
    /// JSON logs only: the application log level, `TRACE`, `DEBUG`, `INFO` (default with `format: json`), `WARN`, `ERROR` or `FATAL`.
    pub level: Option<S<AppLogLevel>>,
}

impl RawLogs {
    pub const KEYS: &'static [&'static str] = &["retention", "format", "level"];
}

pub fn read_logs(r: &mut Reader, node: &Node, path: &str) -> Option<RawLogs> {
    let mut f = r.fields(node, path, RawLogs::KEYS)?;
    let logs = RawLogs {
        retention: f
            .take("retention")
            .and_then(|n| read_retention(r, n, &f.path_of("retention"))),
        format: f
            .take("format")
            .and_then(|n| r.one_of(n, &f.path_of("format"), LogFormat::CHOICES)),
        level: f
            .take("level")
            .and_then(|n| r.one_of(n, &f.path_of("level"), AppLogLevel::CHOICES)),
    };
    f.finish(r);
    Some(logs)
}

/// A retention: a whole number of days or a name. Text that is a whole
/// number (`"30"`, or `${env:DAYS}` giving `30`) counts as days. Whether
/// CloudWatch Logs offers it is checked in `validate::logs`.
pub fn read_retention(r: &mut Reader, node: &Node, path: &str) -> Option<S<RawRetention>> {
    let value = match &node.value {
        Value::Int(i) => RawRetention::Days(*i),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => RawRetention::Days(*f as i64),
        Value::Str(s) => match s.trim().parse::<i64>() {
            Ok(days) => RawRetention::Days(days),
            Err(_) => RawRetention::Name(s.trim().to_owned()),
        },
        other => {
            let found = match other {
                Value::Float(_) => "a number with a fraction",
                _ => other.kind(),
            };
            r.error_hint(
                node.pos,
                path,
                format!("expected a whole number of days or a retention name, found {found}"),
                "for example `30` or `one_month`",
            );
            return None;
        }
    };
    Some(S::new(value, node))
}
