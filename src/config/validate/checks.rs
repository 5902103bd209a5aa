//! The pure predicates of validation: does a string have the shape AWS (or
//! wsdeploy) accepts for a name, an ARN, a domain or an expression?
//!
//! Nothing here reports, reads the disk or knows where a value came from:
//! the section checks call these and word the diagnostics.

/// `app`: lowercase letters, digits and `-`, starting with a letter, at
/// most 30 characters.
pub(super) fn is_app_name(app: &str) -> bool {
    app.len() <= 30
        && app.starts_with(|c: char| c.is_ascii_lowercase())
        && app
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A valid app name close to `app`, for a hint: lowercase, other
/// characters as `-`, cut at 30 characters.
pub(super) fn app_name_suggestion(app: &str) -> String {
    app.to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(30)
        .collect()
}

pub(super) fn is_stage(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `us-east-1`, `us-gov-west-1`, `ap-southeast-4`, `eu-central-2`...
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// A function's key in `functions:`, or an implicit function's name.
pub(super) fn is_function_key(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A WebSocket route selection expression: a field of the message body.
pub(super) fn is_route_selection_expression(e: &str) -> bool {
    e.strip_prefix("$request.body.").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    })
}

pub(super) fn is_stage_variable_name(k: &str) -> bool {
    !k.is_empty() && k.len() <= 64 && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn is_stage_variable_value(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 512
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#&=,".contains(c))
}

/// `route.request.header.<Name>` or `route.request.querystring.<name>`.
pub(super) fn is_identity_source(v: &str) -> bool {
    ["route.request.header.", "route.request.querystring."]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .is_some_and(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        })
}

pub(super) fn is_authorizer_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars().count() <= 128
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// A single-level API mapping key.
pub(super) fn is_mapping_path(v: &str) -> bool {
    v.len() <= 128
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
}

/// A Lambda environment variable name.
pub(super) fn is_env_name(k: &str) -> bool {
    k.len() >= 2
        && k.starts_with(|c: char| c.is_ascii_alphabetic())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `service:Action`, wildcards allowed in the action part.
pub(super) fn is_action(action: &str) -> bool {
    action.split_once(':').is_some_and(|(svc, act)| {
        !svc.is_empty()
            && svc
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !act.is_empty()
            && act
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
    })
}

/// An ARN (six `:`-separated parts) or `*`.
pub(super) fn is_resource(resource: &str) -> bool {
    resource == "*"
        || (resource.starts_with("arn:")
            && resource.splitn(6, ':').count() == 6
            && !resource.contains(char::is_whitespace))
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.chars().all(|c| c.is_ascii_digit())
}

fn is_partition(s: &str) -> bool {
    s == "aws" || s.starts_with("aws-")
}

pub(super) fn is_layer_arn(s: &str) -> bool {
    let p: Vec<&str> = s.split(':').collect();
    p.len() == 8
        && p[0] == "arn"
        && is_partition(p[1])
        && p[2] == "lambda"
        && is_region(p[3])
        && is_account(p[4])
        && p[5] == "layer"
        && !p[6].is_empty()
        && p[6]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && p[7].parse::<u64>().is_ok()
}

pub(super) fn is_log_group_arn(s: &str) -> bool {
    let s = s.strip_suffix(":*").unwrap_or(s);
    let p: Vec<&str> = s.splitn(7, ':').collect();
    p.len() == 7
        && p[0] == "arn"
        && is_partition(p[1])
        && p[2] == "logs"
        && is_region(p[3])
        && is_account(p[4])
        && p[5] == "log-group"
        && !p[6].is_empty()
}

/// The certificate's region, when `s` is an ACM certificate ARN.
pub(super) fn parse_acm_arn(s: &str) -> Option<&str> {
    let p: Vec<&str> = s.split(':').collect();
    let ok = p.len() == 6
        && p[0] == "arn"
        && is_partition(p[1])
        && p[2] == "acm"
        && is_region(p[3])
        && is_account(p[4])
        && p[5].strip_prefix("certificate/").is_some_and(|id| {
            !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    // Lazily: `p[3]` does not exist when the text has fewer than three `:`.
    ok.then(|| p[3])
}

/// Checks a lowercase domain name; the error says why it is not one (it may
/// quote a label).
pub(super) fn check_domain_name(name: &str, allow_wildcard: bool) -> Result<(), String> {
    let body = match name.strip_prefix("*.") {
        Some(rest) if allow_wildcard => rest,
        Some(_) => return Err("a wildcard is not allowed here".into()),
        None => name,
    };
    if body.contains('*') {
        return Err("`*` may only stand as the whole first label".into());
    }
    if name.len() > 253 {
        return Err("longer than 253 characters".into());
    }
    let labels: Vec<&str> = body.split('.').collect();
    if labels.len() < 2 {
        return Err("it needs at least two labels, like `example.com`".into());
    }
    labels.iter().try_for_each(|l| check_label(l))
}

fn check_label(l: &str) -> Result<(), String> {
    if l.is_empty() {
        return Err("it has an empty label (`..` or a leading or trailing `.`)".into());
    }
    if l.len() > 63 {
        return Err(format!("the label `{l}` is longer than 63 characters"));
    }
    if l.starts_with('-') || l.ends_with('-') {
        return Err(format!("the label `{l}` starts or ends with `-`"));
    }
    if !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!(
            "the label `{l}` has characters other than letters, digits and `-`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for r in [
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-4",
            "eu-central-2",
        ] {
            assert!(is_region(r), "{r}");
        }
        for r in ["us-east", "useast1", "US-EAST-1", "us--1", ""] {
            assert!(!is_region(r), "{r}");
        }
    }

    #[test]
    fn arns() {
        assert!(is_layer_arn(
            "arn:aws:lambda:us-east-1:123456789012:layer:common:3"
        ));
        assert!(!is_layer_arn(
            "arn:aws:lambda:us-east-1:123456789012:layer:common"
        ));
        assert_eq!(
            parse_acm_arn("arn:aws:acm:eu-west-1:123456789012:certificate/abc-123"),
            Some("eu-west-1")
        );
        assert_eq!(
            parse_acm_arn("arn:aws:acm:eu-west-1:1234:certificate/abc"),
            None
        );
        // Fewer than four parts: an error, not an index out of bounds.
        for short in ["notanarn", "a:b", "arn:aws:acm", ""] {
            assert_eq!(parse_acm_arn(short), None, "{short}");
        }
        assert!(is_log_group_arn(
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/x:*"
        ));
    }

    #[test]
    fn domain_names() {
        assert!(check_domain_name("ws.example.com", true).is_ok());
        assert!(check_domain_name("*.example.com", true).is_ok());
        assert!(check_domain_name("*.example.com", false).is_err());
        assert!(check_domain_name("ws..example.com", true).is_err());
        assert!(check_domain_name("-ws.example.com", true).is_err());
        assert!(check_domain_name("a.*.example.com", true).is_err());
    }

    #[test]
    fn app_names_and_their_suggestions() {
        assert!(is_app_name("chat-2"));
        assert!(!is_app_name("Chat_App"));
        assert!(!is_app_name("2chat"));
        assert_eq!(app_name_suggestion("Chat_App"), "chat-app");
        assert_eq!(app_name_suggestion(&"a".repeat(40)).len(), 30);
    }
}
