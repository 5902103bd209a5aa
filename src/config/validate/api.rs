//! `api`: the API and its stage (name, description, route selection,
//! stage variables, logging), throttling (also used by routes) and the
//! access log with its format and destination (its retention is checked
//! in `logs`, its format's `$context` variables in `access_log`).

use std::collections::BTreeMap;

use super::checks::{
    is_log_group_arn, is_route_selection_expression, is_stage_variable_name,
    is_stage_variable_value,
};
use super::{DEFAULT_ROUTE_SELECTION, MAX_ACCESS_LOG_FORMAT, Validator};
use crate::config::model::{
    AccessLog, Api, DEFAULT_ACCESS_LOG_FORMAT, LogDestination, LogLevel, Logging, Throttle,
};
use crate::config::raw::{
    RawAccessLog, RawAccessLogSettings, RawApi, RawLogging, RawRetention, RawThrottle,
};
use crate::config::read::{Keyed, S, child, plain};
use crate::names::access_log_group;

impl Validator<'_, '_, '_> {
    /// Checks `api` (the default, empty one when the file has none).
    /// Needs `app` and `stage` for the default names.
    pub(super) fn check_api(&mut self, api: &RawApi) -> Api {
        let name = self.api_name(api.name.as_ref());
        if let Some(d) = &api.description
            && d.value.chars().count() > 1024
        {
            self.err(
                d.pos,
                "api.description",
                "the description is longer than 1024 characters",
            );
        }
        let rse = self.route_selection(api.route_selection_expression.as_ref());
        let throttle = api
            .throttle
            .as_ref()
            .map(|t| self.check_throttle(t, "api.throttle"));
        let variables = api
            .variables
            .as_ref()
            .map(|v| self.stage_variables(v))
            .unwrap_or_default();
        let access_log = api
            .access_log
            .as_ref()
            .and_then(|a| self.check_access_log(a));
        Api {
            name,
            description: api.description.as_ref().map(|d| d.value.clone()),
            route_selection_expression: rse,
            throttle,
            variables,
            logging: api.logging.as_ref().map(logging).unwrap_or_default(),
            access_log,
        }
    }

    fn api_name(&mut self, name: Option<&S<String>>) -> String {
        match name {
            Some(n) => {
                if n.value.is_empty() || n.value.chars().count() > 128 {
                    self.err(
                        n.pos,
                        "api.name",
                        "the API name must be 1 to 128 characters",
                    );
                }
                n.value.clone()
            }
            None => format!("{}-{}", self.app, self.stage),
        }
    }

    fn route_selection(&mut self, e: Option<&S<String>>) -> String {
        let Some(e) = e else {
            return DEFAULT_ROUTE_SELECTION.to_owned();
        };
        if !is_route_selection_expression(&e.value) {
            self.err_hint(
                e.pos,
                "api.routeSelectionExpression",
                "a WebSocket route selection expression must read a field of the message body",
                "for example `$request.body.action`",
            );
        }
        e.value.clone()
    }

    fn stage_variables(&mut self, vars: &Keyed<S<String>>) -> BTreeMap<String, String> {
        for (k, v) in &vars.entries {
            let p = child("api.variables", &k.value);
            if !is_stage_variable_name(&k.value) {
                self.err_hint(
                    k.pos,
                    &p,
                    format!("`{}` cannot be a stage variable name", k.value),
                    "letters, digits and `_`, at most 64 characters",
                );
            }
            if !is_stage_variable_value(&v.value) {
                self.err_hint(
                    v.pos,
                    &p,
                    "invalid stage variable value",
                    "1 to 512 characters among letters, digits and `-._~:/?#&=,`",
                );
            }
        }
        plain(vars)
    }

    pub(super) fn check_throttle(&mut self, t: &RawThrottle, path: &str) -> Throttle {
        if let Some(b) = &t.burst_limit
            && b.value < 0
        {
            self.err(
                b.pos,
                &child(path, "burstLimit"),
                "`burstLimit` cannot be negative",
            );
        }
        if let Some(r) = &t.rate_limit
            && r.value < 0.0
        {
            self.err(
                r.pos,
                &child(path, "rateLimit"),
                "`rateLimit` cannot be negative",
            );
        }
        Throttle {
            burst_limit: t.burst_limit.as_ref().map(|b| b.value),
            rate_limit: t.rate_limit.as_ref().map(|r| r.value),
        }
    }

    fn check_access_log(&mut self, a: &RawAccessLog) -> Option<AccessLog> {
        let managed = LogDestination::Managed {
            group_name: access_log_group(&self.app, &self.stage),
            retention_days: None,
        };
        match a {
            RawAccessLog::Enabled(b) => b.value.then(|| AccessLog {
                format: DEFAULT_ACCESS_LOG_FORMAT.to_owned(),
                destination: managed,
            }),
            RawAccessLog::Format(f) => {
                self.check_log_format(f, "api.accessLog");
                Some(AccessLog {
                    format: f.value.clone(),
                    destination: managed,
                })
            }
            RawAccessLog::Settings(s) => Some(self.access_log_settings(s)),
        }
    }

    fn access_log_settings(&mut self, s: &RawAccessLogSettings) -> AccessLog {
        if let Some(f) = &s.format {
            self.check_log_format(f, "api.accessLog.format");
        }
        // No retention (or `infinite`): the events never expire.
        let retention_days = s
            .retention
            .as_ref()
            .and_then(|r| self.check_retention(r, "api.accessLog.retention"))
            .flatten();
        let destination = match &s.destination_arn {
            Some(arn) => self.existing_log_group(arn, s.retention.as_ref()),
            None => LogDestination::Managed {
                group_name: access_log_group(&self.app, &self.stage),
                retention_days,
            },
        };
        AccessLog {
            format: s
                .format
                .as_ref()
                .map_or_else(|| DEFAULT_ACCESS_LOG_FORMAT.to_owned(), |f| f.value.clone()),
            destination,
        }
    }

    /// `destinationArn`: a log group the user owns, whose retention is
    /// theirs to set.
    fn existing_log_group(
        &mut self,
        arn: &S<String>,
        retention: Option<&S<RawRetention>>,
    ) -> LogDestination {
        if !is_log_group_arn(&arn.value) {
            self.err_hint(
                arn.pos,
                "api.accessLog.destinationArn",
                "not a CloudWatch Logs log group ARN",
                "arn:aws:logs:<region>:<account>:log-group:<name>",
            );
        }
        if let Some(r) = retention {
            self.err_hint(
                r.pos,
                "api.accessLog.retention",
                "`retention` applies only to the log group wsdeploy creates",
                "set the retention on your own log group, or drop `destinationArn`",
            );
        }
        LogDestination::Existing {
            arn: arn.value.trim_end_matches(":*").to_owned(),
        }
    }

    fn check_log_format(&mut self, f: &S<String>, path: &str) {
        if f.value.len() > MAX_ACCESS_LOG_FORMAT {
            self.err(
                f.pos,
                path,
                format!(
                    "the access-log format is {} bytes; API Gateway allows {MAX_ACCESS_LOG_FORMAT}",
                    f.value.len()
                ),
            );
        }
        self.check_format_variables(f, path);
        if !f.value.contains("$context.requestId")
            && !f.value.contains("$context.extendedRequestId")
        {
            self.err_hint(
                f.pos,
                path,
                "the access-log format must contain `$context.requestId`",
                "API Gateway rejects formats without it",
            );
        }
    }
}

fn logging(l: &RawLogging) -> Logging {
    Logging {
        level: l.level.as_ref().map_or(LogLevel::Off, |s| s.value),
        data_trace: l.data_trace.as_ref().is_some_and(|b| b.value),
        detailed_metrics: l.detailed_metrics.as_ref().is_some_and(|b| b.value),
    }
}
