//! The AWS adapter: the clients, and the only code that sees SDK types.
//! The rest of wsdeploy sees `state::State`, `AwsError` and plain values.
//!
//! - `error`: failed calls, classified once; `util`: retries, pagination,
//!   tags;
//! - `observe`: reads the live state of one app and stage;
//! - `apply`: carries out a plan;
//! - `lock`: the deploy lock;
//! - `events`: log events for `wsdeploy logs`, under one rate limit.
//! - `http`: the HTTP client (TLS only for `https://` URLs) and the early
//!   load of the trust store.
//! - `ssm`: the values of `${ssm:...}` from Parameter Store (read only).
//!
//! The clients are private to this folder: other modules hold an `Aws` and
//! pass it back in.

// AwsError carries the operation, resource, AWS code, message and hint so
// that every failure can be reported in full; it is returned rarely, so
// its size does not matter and boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod apply;
pub mod error;
pub mod events;
mod http;
pub mod lock;
pub mod observe;
pub mod ssm;
pub mod util;

use std::future::Future;
use std::time::Duration;

use aws_config::BehaviorVersion;

pub use error::{AwsError, ErrorKind};
pub use http::load_tls_roots_early;
pub use util::RetryBudget;

use crate::names::{self, Place};

/// The clients and the facts about the account that every step needs.
#[derive(Clone)]
pub struct Aws {
    apigw: aws_sdk_apigatewayv2::Client,
    /// API Gateway without the SDK's retries, for the domain-name calls:
    /// `retry` waits out their quota and says so.
    apigw_once: aws_sdk_apigatewayv2::Client,
    lambda: aws_sdk_lambda::Client,
    /// Lambda without the SDK's retries, for the lock-free code upload: a
    /// throttled upload sends the run down the locked path at once rather
    /// than widening the time between its read and its write.
    lambda_once: aws_sdk_lambda::Client,
    iam: aws_sdk_iam::Client,
    acm: aws_sdk_acm::Client,
    route53: aws_sdk_route53::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    /// CloudWatch Logs without the SDK's retries, for `wsdeploy logs`: its
    /// reads pass its own rate limiter, retries included (`events`).
    logs_once: aws_sdk_cloudwatchlogs::Client,
    sts: aws_sdk_sts::Client,
    region: String,
    /// Empty until `identify` has run.
    account_id: String,
    partition: String,
    reads: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Reads of a fan-out in flight at once.
pub const READ_CONCURRENCY: usize = 32;

/// How to reach AWS: the standard chain, overridden by flags.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    /// From `--region`, else the config file.
    pub region: Option<String>,
    /// `--endpoint-url`; `AWS_ENDPOINT_URL` is read by the SDK itself.
    pub endpoint_url: Option<String>,
}

/// A client of one service without the SDK's own retries.
macro_rules! once {
    ($service:ident, $sdk:expr) => {
        $service::Client::from_conf(
            $service::config::Builder::from($sdk)
                .retry_config(aws_config::retry::RetryConfig::disabled())
                .build(),
        )
    };
}

/// The SDK configuration every client is made from, and its region.
async fn sdk_config(opts: &ConnectOptions) -> Result<(aws_config::SdkConfig, String), AwsError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(e) = &opts.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    // Reads are retried by the SDK (throttling and transient errors);
    // writes also go through `retry` with its longer budgets. Ten
    // attempts: with 30 % of requests throttled, six left a read failing
    // once in 1,400 (0.3^6), about one deploy in twenty when a run reads
    // 70 times; ten leave one in 170,000 (Terraform's AWS provider
    // allows 25).
    loader = loader.retry_config(
        aws_config::retry::RetryConfig::standard()
            .with_max_attempts(10)
            .with_max_backoff(Duration::from_secs(2)),
    );
    let sdk = loader.http_client(http::client()).load().await;
    let Some(region) = sdk.region().map(|r| r.to_string()) else {
        return Err(AwsError::local(
            "choosing a region",
            "no AWS region is configured",
            "set `region:` in wsdeploy.yml, pass `--region`, or set AWS_REGION",
        ));
    };
    Ok((sdk, region))
}

impl Aws {
    pub async fn connect(opts: &ConnectOptions) -> Result<Aws, AwsError> {
        let (sdk, region) = sdk_config(opts).await?;
        Ok(Aws {
            apigw: aws_sdk_apigatewayv2::Client::new(&sdk),
            apigw_once: once!(aws_sdk_apigatewayv2, &sdk),
            lambda: aws_sdk_lambda::Client::new(&sdk),
            lambda_once: once!(aws_sdk_lambda, &sdk),
            iam: aws_sdk_iam::Client::new(&sdk),
            acm: aws_sdk_acm::Client::new(&sdk),
            route53: aws_sdk_route53::Client::new(&sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
            logs_once: once!(aws_sdk_cloudwatchlogs, &sdk),
            sts: aws_sdk_sts::Client::new(&sdk),
            partition: names::partition_of(&region).to_owned(),
            region,
            account_id: String::new(),
            reads: std::sync::Arc::new(tokio::sync::Semaphore::new(READ_CONCURRENCY)),
        })
    }

    /// Asks STS whose credentials these are and fills in the account id
    /// (and the partition, should its ARN say otherwise). Kept apart from
    /// `connect` so that it can run alongside the first reads.
    pub async fn identify(&mut self) -> Result<(), AwsError> {
        let who =
            self.sts.get_caller_identity().send().await.map_err(|e| {
                AwsError::from_sdk("GetCallerIdentity", "the current credentials", e)
            })?;
        let account_id = who.account().unwrap_or_default().to_owned();
        if account_id.is_empty() {
            return Err(AwsError::local(
                "GetCallerIdentity",
                "AWS did not say which account the credentials belong to",
                "check the credentials",
            ));
        }
        if let Some(p) = who.arn().and_then(|a| a.split(':').nth(1)) {
            p.clone_into(&mut self.partition);
        }
        self.account_id = account_id;
        Ok(())
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// Empty until `identify` has run.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Where this account's resources live, for ARNs and URLs.
    pub fn place(&self) -> Place<'_> {
        Place {
            partition: &self.partition,
            region: &self.region,
            account_id: &self.account_id,
        }
    }

    /// Runs one read of a fan-out (a call per function, role or route)
    /// under the read limit, so that a large app neither floods AWS's
    /// quotas nor holds hundreds of connections at once.
    pub(crate) async fn read<T>(&self, call: impl Future<Output = T>) -> T {
        let _slot = self.reads.acquire().await;
        call.await
    }
}
