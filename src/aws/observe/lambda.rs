//! Observing Lambda: functions by name with their tags and configuration,
//! wsdeploy's statements in their resource policies, and the current
//! revision of functions about to get new code.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;

use super::live::read_live;
use super::{Foreign, Found, not_ours};
use crate::aws::util::{found, map_of};
use crate::aws::{Aws, AwsError};
use crate::names::{ExternalSid, LIVE_ALIAS, external_sid, function_log_group, role_path};
use crate::state::*;

/// The kind of a foreign function in `Foreign`.
pub(super) const FOREIGN_KIND: &str = "Lambda function";

/// A function's current revision and code hash, as Lambda reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub revision_id: String,
    pub code_sha256: String,
}

/// The current revision of each named function (`None` when it is gone).
pub async fn revisions(
    aws: &Aws,
    names: &[String],
) -> Result<BTreeMap<String, Option<Revision>>, AwsError> {
    let revisions = try_join_all(names.iter().map(|n| {
        aws.read(async move {
            let c = found(
                aws.lambda
                    .get_function_configuration()
                    .function_name(n)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("GetFunctionConfiguration", n, e)),
            )?;
            let revision = c.map(|c| Revision {
                revision_id: c.revision_id().unwrap_or_default().to_owned(),
                code_sha256: c.code_sha256().unwrap_or_default().to_owned(),
            });
            Ok::<_, AwsError>((n.clone(), revision))
        })
    }))
    .await?;
    Ok(revisions.into_iter().collect())
}

/// wsdeploy's statements in resource policies, by function reference
/// (`name`, `name:live`), then statement id.
pub type Policies = BTreeMap<String, BTreeMap<String, Permission>>;

/// Functions by name, each of ours with wsdeploy's statements of its
/// resource policy (asked once the function is known to be ours), and
/// with its alias `live` when it is in `live` or turns out to have one.
pub(super) async fn read_functions(
    aws: &Aws,
    (app, stage): (&str, &str),
    names: &[String],
    live: &std::collections::BTreeSet<String>,
) -> Result<Found<(Function, Policies)>, AwsError> {
    let own_path = role_path(app, stage);
    let read = try_join_all(
        names
            .iter()
            .map(|n| aws.read(read_function(aws, n, &own_path))),
    )
    .await?;
    let (owned, others): (Vec<Function>, Vec<Function>) = read
        .into_iter()
        .flatten()
        .partition(|f| owned_by(&f.tags, app, stage));
    let policies = try_join_all(owned.iter().map(|f| async {
        let (mine, alias) = tokio::join!(aws.read(read_permissions(aws, &f.name)), async {
            match live.contains(&f.name) {
                true => read_live(aws, f, &own_path).await,
                false => Ok(None),
            }
        });
        Ok::<_, AwsError>((mine?, alias?))
    }))
    .await?;
    let foreign = others
        .into_iter()
        .map(|f| Foreign {
            kind: FOREIGN_KIND,
            why: not_ours(&f.tags),
            name: f.name,
        })
        .collect();
    let owned = owned
        .into_iter()
        .zip(policies)
        .map(|(mut f, (mine, alias))| {
            let mut policies = Policies::new();
            policies.insert(f.name.clone(), mine);
            if let Some((l, on_alias)) = alias {
                f.live = Some(l);
                policies.insert(format!("{}:{LIVE_ALIAS}", f.name), on_alias);
            }
            (f.name.clone(), (f, policies))
        })
        .collect();
    Ok((owned, foreign))
}

/// A function by name; `own_path` is the path of wsdeploy's roles for the
/// app and stage (a role elsewhere is kept by ARN).
async fn read_function(
    aws: &Aws,
    name: &str,
    own_path: &str,
) -> Result<Option<Function>, AwsError> {
    let got = aws.lambda.get_function().function_name(name).send().await;
    let Some(out) = found(got.map_err(|e| AwsError::from_sdk("GetFunction", name, e)))? else {
        return Ok(None);
    };
    let Some(c) = out.configuration() else {
        return Ok(None);
    };
    let mut f = from_configuration(name, c, own_path);
    f.tags = map_of(out.tags());
    f.reserved_concurrency = out
        .concurrency()
        .and_then(|x| x.reserved_concurrent_executions())
        .and_then(|n| u32::try_from(n).ok());
    Ok(Some(f))
}

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

/// wsdeploy's statements (ids starting with `wsdeploy-`) in a function's
/// resource policy.
async fn read_permissions(
    aws: &Aws,
    function: &str,
) -> Result<BTreeMap<String, Permission>, AwsError> {
    policy_statements(aws, function, &|sid| sid.starts_with("wsdeploy-")).await
}

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

/// This app and stage's statements on each external function (by ARN);
/// an external function that is gone has none.
pub(super) async fn read_external_permissions(
    aws: &Aws,
    app: &str,
    stage: &str,
    arns: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, Permission>>, AwsError> {
    let ours = [
        external_sid(app, stage, ExternalSid::Invoke),
        external_sid(app, stage, ExternalSid::Authorizer),
    ];
    let keep = |sid: &str| ours.iter().any(|o| o == sid);
    let read = try_join_all(
        arns.iter()
            .map(|arn| aws.read(policy_statements(aws, arn, &keep))),
    )
    .await?;
    Ok(arns
        .iter()
        .cloned()
        .zip(read)
        .filter(|(_, p)| !p.is_empty())
        .collect())
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
