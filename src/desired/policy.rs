//! The policies wsdeploy writes, least privilege as the contract requires:
//! a role trusts only Lambda; its inline policy lets the function write its
//! own log group, post to this API's stage `@connections`, and only what
//! its settings need besides (X-Ray for active tracing, network interfaces
//! for a VPC) plus the config's own statements; invoke permissions are
//! scoped to this API.

use serde_json::json;

use super::Context;
use crate::config::model::{Config, Function as CfgFunction, Tracing};
use crate::names::function_log_group;
use crate::state::Permission;

/// What active tracing needs: Lambda sends segments with the role (X-Ray
/// has no resource-level permissions for these).
pub const XRAY_ACTIONS: [&str; 2] = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];

/// What a function in a VPC needs to manage its network interfaces: the
/// actions of AWS's `AWSLambdaVPCAccessExecutionRole`, on `*` as AWS
/// grants them there (Lambda checks for them when the function is
/// configured, and the Describe action takes no resource).
pub const VPC_ACTIONS: [&str; 5] = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
];

/// Only Lambda may assume a function's role.
pub fn trust_policy() -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "lambda.amazonaws.com" },
            "Action": "sts:AssumeRole"
        }]
    })
}

/// The inline policy of a function's own role.
pub(super) fn role_policy(config: &Config, ctx: &Context, f: &CfgFunction) -> serde_json::Value {
    let place = ctx.place();
    let log_group = place.log_group_arn(&function_log_group(&f.function_name));
    let connections = place.connections_arn(ctx.api_id(), &config.stage);
    let mut statements = vec![
        json!({
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group.clone(), format!("{log_group}:*")]
        }),
        json!({
            "Sid": "ManageConnections",
            "Effect": "Allow",
            "Action": ["execute-api:ManageConnections"],
            "Resource": [connections]
        }),
    ];
    if f.tracing == Tracing::Active {
        statements.push(json!({
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": XRAY_ACTIONS,
            "Resource": ["*"]
        }));
    }
    if f.vpc.is_some() {
        statements.push(json!({
            "Sid": "Vpc",
            "Effect": "Allow",
            "Action": VPC_ACTIONS,
            "Resource": ["*"]
        }));
    }
    for (i, st) in f.permissions.iter().enumerate() {
        statements.push(json!({
            "Sid": format!("Config{i}"),
            "Effect": "Allow",
            "Action": st.actions,
            "Resource": st.resources,
        }));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// API Gateway's permission to invoke a function from `source_arn`, in
/// this account only.
pub(super) fn invoke_permission(source_arn: &str, ctx: &Context) -> Permission {
    Permission {
        action: "lambda:InvokeFunction".to_owned(),
        principal: "apigateway.amazonaws.com".to_owned(),
        source_arn: source_arn.to_owned(),
        source_account: Some(ctx.account_id.clone()),
    }
}
