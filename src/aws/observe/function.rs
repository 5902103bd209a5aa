//! How a Lambda function reads in state terms, for both `$LATEST` and a
//! published version: its configuration (`from_configuration`), and the
//! statements of a resource policy (of the function, a qualifier, or an
//! external function's ARN).

use std::collections::BTreeMap;

use crate::aws::util::{found, map_of};
use crate::aws::{Aws, AwsError};
use crate::names::function_log_group;
use crate::state::*;

/// A function as its configuration (of `$LATEST` or of a version) says;
/// without tags, reserved concurrency or alias, which it does not hold.
pub(super) fn from_configuration(
    name: &str,
    c: &aws_sdk_lambda::types::FunctionConfiguration,
    own_path: &str,
) -> Function {
    let logging = logging(name, c.logging_config());
    Function {
        name: name.to_owned(),
        runtime: c
            .runtime()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        handler: c.handler().unwrap_or_default().to_owned(),
        role: c
            .role()
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or_default()
            .to_owned(),
        role_arn: c
            .role()
            .filter(|r| !r.contains(&format!(":role{own_path}")))
            .map(str::to_owned),
        memory_size: c
            .memory_size()
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(128),
        timeout: c.timeout().and_then(|t| u32::try_from(t).ok()).unwrap_or(3),
        architecture: c
            .architectures()
            .first()
            .map_or("x86_64", |a| a.as_str())
            .to_owned(),
        environment: map_of(c.environment().and_then(|e| e.variables())),
        layers: c
            .layers()
            .iter()
            .filter_map(|l| l.arn().map(str::to_owned))
            .collect(),
        code_sha256: c.code_sha256().unwrap_or_default().to_owned(),
        code_size: u64::try_from(c.code_size()).ok(),
        log_format: logging.0,
        log_level: logging.1,
        log_group: logging.2,
        description: c.description().unwrap_or_default().to_owned(),
        tracing: c
            .tracing_config()
            .and_then(|t| t.mode())
            .map_or(PASS_THROUGH, |m| m.as_str())
            .to_owned(),
        ephemeral_storage: c
            .ephemeral_storage()
            .and_then(|e| u32::try_from(e.size()).ok())
            .unwrap_or(DEFAULT_STORAGE),
        kms_key_arn: c.kms_key_arn().filter(|k| !k.is_empty()).map(str::to_owned),
        vpc: c.vpc_config().and_then(vpc),
        reserved_concurrency: None,
        live: None,
        tags: Tags::new(),
    }
}

/// A VPC configuration, `None` when it names no subnet (Lambda answers an
/// empty one for a function outside any VPC).
fn vpc(v: &aws_sdk_lambda::types::VpcConfigResponse) -> Option<Vpc> {
    let subnet_ids: std::collections::BTreeSet<String> = v.subnet_ids().iter().cloned().collect();
    (!subnet_ids.is_empty()).then(|| Vpc {
        subnet_ids,
        security_group_ids: v.security_group_ids().iter().cloned().collect(),
    })
}

/// Lambda's LoggingConfig as state keeps it: the format, the application
/// level (JSON only) and the log group when it is not the function's own.
fn logging(name: &str, c: Option<&aws_sdk_lambda::types::LoggingConfig>) -> Logging {
    let format = c
        .and_then(|c| c.log_format())
        .map_or(TEXT_FORMAT, |f| f.as_str())
        .to_owned();
    let level = c
        .and_then(|c| c.application_log_level())
        .filter(|_| format != TEXT_FORMAT)
        .map(|l| l.as_str().to_owned());
    let group = c
        .and_then(|c| c.log_group())
        .filter(|g| *g != function_log_group(name))
        .map(str::to_owned);
    (format, level, group)
}

type Logging = (String, Option<String>, Option<String>);

/// The statements `keep` accepts in the resource policy of `function` (a
/// name, `name:qualifier` or an ARN); none when it has no policy.
pub(super) async fn policy_statements(
    aws: &Aws,
    function: &str,
    keep: &dyn Fn(&str) -> bool,
) -> Result<BTreeMap<String, Permission>, AwsError> {
    let got = aws.lambda.get_policy().function_name(function).send().await;
    let out = found(got.map_err(|e| AwsError::from_sdk("GetPolicy", function, e)))?;
    let mut statements = out
        .map(|o| parse_permissions(o.policy().unwrap_or("{}")))
        .unwrap_or_default();
    statements.retain(|sid, _| keep(sid));
    Ok(statements)
}

/// Every statement of a resource policy that has a `Sid`, by Sid.
pub fn parse_permissions(policy: &str) -> BTreeMap<String, Permission> {
    let doc: serde_json::Value = serde_json::from_str(policy).unwrap_or_default();
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        s @ serde_json::Value::Object(_) => vec![s.clone()],
        _ => vec![],
    };
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(a) => a.first().and_then(|x| x.as_str()).map(str::to_owned),
        _ => None,
    };
    statements
        .iter()
        .filter_map(|st| {
            let sid = st["Sid"].as_str()?;
            let principal = match &st["Principal"] {
                serde_json::Value::String(s) => s.clone(),
                p => text(&p["Service"]).unwrap_or_default(),
            };
            let cond = &st["Condition"];
            let source_arn = text(&cond["ArnLike"]["AWS:SourceArn"])
                .or_else(|| text(&cond["StringEquals"]["AWS:SourceArn"]));
            let source_account = text(&cond["StringEquals"]["AWS:SourceAccount"]);
            Some((
                sid.to_owned(),
                Permission {
                    action: text(&st["Action"]).unwrap_or_default(),
                    principal,
                    source_arn: source_arn.unwrap_or_default(),
                    source_account,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn permissions_from_a_policy() {
        let p = r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"wsdeploy-invoke","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:1:function:f",
             "Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:execute-api:us-east-1:1:abc/*"},"StringEquals":{"AWS:SourceAccount":"1"}}},
            {"Sid":"someone-else","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction"}]}"#;
        let m = parse_permissions(p);
        assert_eq!(m.len(), 2);
        let w = &m["wsdeploy-invoke"];
        assert_eq!(w.principal, "apigateway.amazonaws.com");
        assert_eq!(w.source_arn, "arn:aws:execute-api:us-east-1:1:abc/*");
        assert_eq!(w.source_account.as_deref(), Some("1"));
    }
}
