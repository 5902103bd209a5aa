//! The `$context` variables an access-log format may use: only those API
//! Gateway supports for WebSocket APIs. Another one (an HTTP or REST API
//! variable such as `$context.httpMethod`) makes the stage update fail
//! (serverless#7016), so it is an error at the format that names it.

use super::Validator;
use crate::config::read::S;
use crate::diagnostic::did_you_mean;

/// The `$context` variables WebSocket APIs support in access logs, from
/// the API Gateway developer guide: "Data model, authorizer, mapping
/// template, and CloudWatch access logging variables for WebSocket APIs"
/// (websocket-api-logging). The last three are the older names the guide
/// gives as equivalents of `$context.integration.*`. Besides these, any
/// `$context.authorizer.<key>` is a key of the Lambda authorizer's
/// `context`.
pub const WEBSOCKET_CONTEXT_VARIABLES: &[&str] = &[
    "$context.apiId",
    "$context.authorize.error",
    "$context.authorize.latency",
    "$context.authorize.status",
    "$context.authorizer.error",
    "$context.authorizer.integrationLatency",
    "$context.authorizer.integrationStatus",
    "$context.authorizer.latency",
    "$context.authorizer.requestId",
    "$context.authorizer.status",
    "$context.authorizer.principalId",
    "$context.authenticate.error",
    "$context.authenticate.latency",
    "$context.authenticate.status",
    "$context.connectedAt",
    "$context.connectionId",
    "$context.domainName",
    "$context.error.message",
    "$context.error.messageString",
    "$context.error.responseType",
    "$context.error.validationErrorString",
    "$context.eventType",
    "$context.extendedRequestId",
    "$context.identity.accountId",
    "$context.identity.apiKey",
    "$context.identity.apiKeyId",
    "$context.identity.caller",
    "$context.identity.cognitoAuthenticationProvider",
    "$context.identity.sourceIp",
    "$context.identity.user",
    "$context.identity.userAgent",
    "$context.identity.userArn",
    "$context.integration.error",
    "$context.integration.integrationStatus",
    "$context.integration.latency",
    "$context.integration.requestId",
    "$context.integration.status",
    "$context.integrationLatency",
    "$context.messageId",
    "$context.requestId",
    "$context.requestTime",
    "$context.requestTimeEpoch",
    "$context.routeKey",
    "$context.stage",
    "$context.status",
    "$context.waf.error",
    "$context.waf.latency",
    "$context.waf.status",
    "$context.integrationErrorMessage",
    "$context.integrationStatus",
    "$context.awsEndpointRequestId",
];

/// Where any key of the Lambda authorizer's `context` may follow.
const AUTHORIZER_CONTEXT: &str = "$context.authorizer.";

/// The `$context.…` variables a format uses, in order, each once.
pub(super) fn context_variables(format: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for (start, _) in format.match_indices("$context.") {
        let rest = &format[start + "$context.".len()..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        let name = rest[..len].trim_end_matches('.');
        let var = &format[start..start + "$context.".len() + name.len()];
        if !name.is_empty() && !out.contains(&var) {
            out.push(var);
        }
    }
    out
}

/// Whether WebSocket access logs support `var`.
pub(super) fn is_websocket_variable(var: &str) -> bool {
    WEBSOCKET_CONTEXT_VARIABLES.contains(&var)
        || var
            .strip_prefix(AUTHORIZER_CONTEXT)
            .is_some_and(|key| !key.is_empty() && !key.contains('.'))
}

impl Validator<'_, '_, '_> {
    /// Reports each `$context` variable of the format `f` (at `path`) that
    /// WebSocket APIs do not support, at the format.
    pub(super) fn check_format_variables(&mut self, f: &S<String>, path: &str) {
        for var in context_variables(&f.value) {
            if is_websocket_variable(var) {
                continue;
            }
            let (what, hint) = if f.interpolated {
                (
                    "the interpolated format uses a `$context` variable".to_owned(),
                    None,
                )
            } else {
                (
                    format!("`{var}`"),
                    did_you_mean(var, WEBSOCKET_CONTEXT_VARIABLES.iter().copied()),
                )
            };
            let hint = match hint {
                Some(s) => format!("did you mean `{s}`?"),
                None => "WebSocket access logs take `$context.requestId`, `$context.routeKey`, `$context.eventType`, `$context.connectionId`, `$context.status` and the other variables the API Gateway developer guide lists for WebSocket APIs (docs/config.md has the list)".to_owned(),
            };
            self.err_hint(
                f.pos,
                path,
                format!("{what} is not an access-log variable of WebSocket APIs"),
                hint,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::DEFAULT_ACCESS_LOG_FORMAT;
    use crate::config::validate::test_support::{at, error, outcome_in, valid};

    #[test]
    fn variables_are_found_in_any_text() {
        assert_eq!(
            context_variables(
                r#"{"id":"$context.requestId","ip":"$context.identity.sourceIp"} $context.requestId. $context.x_y"#
            ),
            [
                "$context.requestId",
                "$context.identity.sourceIp",
                "$context.x_y"
            ]
        );
        assert!(context_variables("$context. and $context").is_empty());
    }

    #[test]
    fn the_default_format_uses_websocket_variables_only() {
        for var in context_variables(DEFAULT_ACCESS_LOG_FORMAT) {
            assert!(is_websocket_variable(var), "{var}");
        }
    }

    fn format_error(access_log: &str) -> crate::diagnostic::Diagnostic {
        error(&format!(
            "app: demo\napi:\n  accessLog: {access_log}\nroutes:\n  $default: src/handler.message\n"
        ))
    }

    #[test]
    fn an_http_variable_is_an_error_at_the_format_that_names_it() {
        let e = format_error("'{\"id\":\"$context.requestId\",\"m\":\"$context.httpMethod\"}'");
        assert_eq!(e.path, "api.accessLog");
        assert_eq!(at(&e), (3, 14));
        assert_eq!(
            e.message,
            "`$context.httpMethod` is not an access-log variable of WebSocket APIs"
        );
        assert!(e.hint.unwrap().contains("`$context.routeKey`"));
        let e = format_error("{ format: '$context.requestId $context.routekey' }");
        assert_eq!(e.path, "api.accessLog.format");
        assert_eq!(e.hint.as_deref(), Some("did you mean `$context.routeKey`?"));
        let e = format_error("'$context.requestId $context.connectionID'");
        assert_eq!(
            e.hint.as_deref(),
            Some("did you mean `$context.connectionId`?")
        );
    }

    #[test]
    fn websocket_variables_are_accepted() {
        let yaml = "app: demo\napi:\n  accessLog: '$context.requestId $context.eventType $context.authorizer.userId $context.integration.latency $context.waf.status'\nroutes:\n  $default: src/handler.message\n";
        valid(yaml);
    }

    #[test]
    fn an_interpolated_format_is_not_quoted() {
        let yaml = "app: demo\napi:\n  accessLog: ${env:SECRET}\nroutes:\n  $default: src/handler.message\n";
        let o = outcome_in(
            yaml,
            Some("us-east-1"),
            "$context.requestId $context.secretVariable",
        );
        assert_eq!(o.errors.len(), 1, "{:#?}", o.errors);
        let text = format!("{} {:?}", o.errors[0].message, o.errors[0].hint);
        assert!(!text.contains("secretVariable"), "{text}");
    }

    #[test]
    fn authorizer_context_keys_are_variables() {
        assert!(is_websocket_variable("$context.authorizer.userId"));
        assert!(is_websocket_variable("$context.authorizer.principalId"));
        assert!(!is_websocket_variable("$context.authorizer.claims.sub"));
        assert!(!is_websocket_variable("$context.httpMethod"));
        assert!(!is_websocket_variable("$context.responseLatency"));
    }
}
