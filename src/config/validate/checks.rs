//! The pure predicates of validation: does a string have the shape AWS (or
//! wsdeploy) accepts for a name, an ARN, a domain or an expression?
//!
//! Nothing here reports, reads the disk or knows where a value came from:
//! the section checks call these and word the diagnostics.

/// `app`: lowercase letters, digits and `-`, starting with a letter, at
/// most 30 characters.
pub fn is_app_name(app: &str) -> bool {
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

/// A Lambda function ARN: what `parse_function_arn` finds in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FunctionArn<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub name: &'a str,
    /// A version or an alias, when the ARN is qualified.
    pub qualifier: Option<&'a str>,
}

/// `arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]`,
/// the qualifier a version, an alias or `$LATEST`.
pub(super) fn parse_function_arn(s: &str) -> Option<FunctionArn<'_>> {
    let p: Vec<&str> = s.split(':').collect();
    let word = |w: &str, max: usize| {
        (1..=max).contains(&w.len())
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    let ok = (p.len() == 7 || p.len() == 8)
        && p[0] == "arn"
        && is_partition(p[1])
        && p[2] == "lambda"
        && is_region(p[3])
        && is_account(p[4])
        && p[5] == "function"
        && word(p[6], 64)
        && p.get(7).is_none_or(|q| *q == "$LATEST" || word(q, 128));
    ok.then(|| FunctionArn {
        region: p[3],
        account: p[4],
        name: p[6],
        qualifier: p.get(7).copied(),
    })
}

/// Why a text is not a KMS key ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KmsArnError {
    /// An alias ARN (`...:alias/<name>`): Lambda cannot grant itself use
    /// of a key through an alias.
    Alias,
    Other,
}

/// The key's region, when `s` is `arn:<partition>:kms:<region>:<account>:key/<id>`.
pub(super) fn parse_kms_key_arn(s: &str) -> Result<&str, KmsArnError> {
    let p: Vec<&str> = s.split(':').collect();
    let head = p.len() == 6
        && p[0] == "arn"
        && is_partition(p[1])
        && p[2] == "kms"
        && is_region(p[3])
        && is_account(p[4]);
    if !head {
        return Err(KmsArnError::Other);
    }
    if p[5].starts_with("alias/") {
        return Err(KmsArnError::Alias);
    }
    let id_ok = p[5].strip_prefix("key/").is_some_and(|id| {
        !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    if id_ok {
        Ok(p[3])
    } else {
        Err(KmsArnError::Other)
    }
}

/// The part after `<kind>/` of an IAM ARN, `[path/]name`, with a name of
/// at most `max` IAM name characters (letters, digits and `+=,.@_-`) and
/// a path of printable characters.
fn is_iam_path_name(rest: &str, max: usize) -> bool {
    let (path, name) = rest.rsplit_once('/').unwrap_or(("", rest));
    (1..=max).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        && path.len() <= 510
        && path.chars().all(|c| c.is_ascii_graphic())
}

/// A managed policy ARN: `arn:<partition>:iam::aws:policy/<path/name>`
/// (an AWS managed policy) or `arn:<partition>:iam::<account>:policy/...`.
pub(super) fn is_policy_arn(s: &str) -> bool {
    is_iam_arn(s, "policy/", true, 128)
}

/// An IAM role ARN: `arn:<partition>:iam::<account>:role/<path/name>`.
pub(super) fn is_role_arn(s: &str) -> bool {
    is_iam_arn(s, "role/", false, 64)
}

/// `arn:<partition>:iam::<account>:<kind><path/name>`, the account `aws`
/// too when `aws_owned`, the name at most `max` characters.
fn is_iam_arn(s: &str, kind: &str, aws_owned: bool, max: usize) -> bool {
    let p: Vec<&str> = s.splitn(6, ':').collect();
    p.len() == 6
        && p[0] == "arn"
        && is_partition(p[1])
        && p[2] == "iam"
        && p[3].is_empty()
        && ((aws_owned && p[4] == "aws") || is_account(p[4]))
        && p[5]
            .strip_prefix(kind)
            .is_some_and(|rest| is_iam_path_name(rest, max))
}

/// An EC2 id with its prefix: `subnet-0abc...`, `sg-0abc...`.
pub(super) fn is_ec2_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|id| {
            !id.is_empty()
                && id.len() <= 32
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
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
    fn function_arns() {
        let a = parse_function_arn("arn:aws:lambda:us-east-1:123456789012:function:existing")
            .expect("an unqualified function ARN");
        assert_eq!(
            (a.region, a.account, a.name, a.qualifier),
            ("us-east-1", "123456789012", "existing", None)
        );
        for (arn, q) in [
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:my-fn_2:7",
                "7",
            ),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:my-fn:live",
                "live",
            ),
            (
                "arn:aws:lambda:eu-west-1:123456789012:function:my-fn:$LATEST",
                "$LATEST",
            ),
            (
                "arn:aws-cn:lambda:cn-north-1:123456789012:function:f:prod-2",
                "prod-2",
            ),
        ] {
            let a = parse_function_arn(arn).unwrap_or_else(|| panic!("{arn}"));
            assert_eq!(a.qualifier, Some(q), "{arn}");
        }
        for bad in [
            "arn:aws:lambda:us-east-1:123456789012:function:",
            "arn:aws:lambda:us-east-1:123456789012:function:a:b:c",
            "arn:aws:lambda:us-east-1:1234:function:f",
            "arn:aws:lambda:useast1:123456789012:function:f",
            "arn:aws:lambda:us-east-1:123456789012:layer:common:3",
            "arn:aws:states:us-east-1:123456789012:function:f",
            "arn:aws:lambda:us-east-1:123456789012:function:f.x",
            "arn:aws:lambda:us-east-1:123456789012:function:f:",
            "arn:aws:lambda",
            "",
        ] {
            assert_eq!(parse_function_arn(bad), None, "{bad}");
        }
        let long = format!(
            "arn:aws:lambda:us-east-1:123456789012:function:{}",
            "a".repeat(65)
        );
        assert_eq!(parse_function_arn(&long), None);
    }

    #[test]
    fn kms_policy_and_role_arns() {
        assert_eq!(
            parse_kms_key_arn(
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
            ),
            Ok("us-east-1")
        );
        assert_eq!(
            parse_kms_key_arn("arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd"),
            Ok("us-east-1")
        );
        assert_eq!(
            parse_kms_key_arn("arn:aws:kms:us-east-1:123456789012:alias/my-key"),
            Err(KmsArnError::Alias)
        );
        for bad in [
            "arn:aws:kms:us-east-1:123456789012:key/",
            "arn:aws:kms:us-east-1:123456789012:key",
            "arn:aws:s3:us-east-1:123456789012:key/abcd",
            "abcd",
        ] {
            assert_eq!(parse_kms_key_arn(bad), Err(KmsArnError::Other), "{bad}");
        }
        for good in [
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
            "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
            "arn:aws:iam::123456789012:policy/boundary",
            "arn:aws-us-gov:iam::123456789012:policy/team/a/b+c=d,e.f@g_h-i",
        ] {
            assert!(is_policy_arn(good), "{good}");
        }
        for bad in [
            "arn:aws:iam::aws:role/x",
            "arn:aws:iam:us-east-1:aws:policy/x",
            "arn:aws:iam::12345:policy/x",
            "arn:aws:iam::aws:policy/",
            "arn:aws:iam::aws:policy/has space",
            "AmazonS3ReadOnlyAccess",
        ] {
            assert!(!is_policy_arn(bad), "{bad}");
        }
        assert!(is_role_arn("arn:aws:iam::123456789012:role/existing"));
        assert!(is_role_arn(
            "arn:aws:iam::123456789012:role/service-role/x-y"
        ));
        for bad in [
            "arn:aws:iam::aws:role/x",
            "arn:aws:iam::123456789012:policy/x",
            "arn:aws:iam::123456789012:role/",
            &format!("arn:aws:iam::123456789012:role/{}", "r".repeat(65)),
        ] {
            assert!(!is_role_arn(bad), "{bad}");
        }
    }

    #[test]
    fn ec2_ids() {
        assert!(is_ec2_id("subnet-0123456789abcdef0", "subnet"));
        assert!(is_ec2_id("subnet-1", "subnet"));
        assert!(is_ec2_id("sg-1", "sg"));
        for bad in ["subnet-", "sg-1", "subnet_1", "subnet-ABC", "subnet"] {
            assert!(!is_ec2_id(bad, "subnet"), "{bad}");
        }
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
