//! The AWS adapter: the clients, and the only code that sees SDK types.
//! The rest of wsdeploy sees `state::State`, `AwsError` and plain values.
//!
//! - `error`: failed calls, classified once; `util`: retries, pagination,
//!   tags;
//! - `observe`: reads the live state of one app and stage;
//! - `apply`: carries out a plan;
//! - `lock`: the deploy lock;
//! - `events`: log events for `wsdeploy logs`, under one rate limit.
//! - `http`: the HTTP client (TLS only for `https://` URLs).
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

/// Whether every AWS request of this run goes to a plain-HTTP endpoint (a
/// local emulator such as moto or LocalStack): `--endpoint-url http://...`,
/// or `AWS_ENDPOINT_URL=http://...` with no service's own endpoint set
/// (`AWS_ENDPOINT_URL_<SERVICE>`, which the SDK prefers) and configured
/// endpoints not turned off. Such a run has no use for the trust store,
/// so it is not loaded ahead (`load_tls_roots_early`); the HTTP client
/// decides by each request's URL anyway (`http`), so a wrong answer here
/// costs time, never a failed request. An endpoint in a profile counts
/// as HTTPS.
pub fn plain_http(endpoint_flag: Option<&str>) -> bool {
    plain_http_in(endpoint_flag, std::env::vars_os())
}

/// `plain_http` with the environment given.
fn plain_http_in(
    endpoint_flag: Option<&str>,
    vars: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> bool {
    let is_http = |url: &str| {
        url.get(..7)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
    };
    if let Some(url) = endpoint_flag {
        return is_http(url);
    }
    let mut global = None;
    for (key, value) in vars {
        match key.to_str() {
            Some("AWS_ENDPOINT_URL") => global = value.into_string().ok(),
            Some(k) if k.starts_with("AWS_ENDPOINT_URL_") => return false,
            Some("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") if value != "false" => return false,
            _ => {}
        }
    }
    global.is_some_and(|url| is_http(&url))
}

/// Starts loading the TLS trust store (the system's root certificates,
/// which the SDK's HTTPS client reads once per process, a few
/// milliseconds of file reads and parsing) on a thread of its own, so
/// that it overlaps reading the config and packaging instead of holding
/// up the first HTTPS request, which waits for it if it is not done. A
/// run that talks plain HTTP (`plain_http`) needs no trust store.
pub fn load_tls_roots_early(endpoint_flag: Option<&str>) {
    if plain_http(endpoint_flag) {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("tls-roots".to_owned())
        .spawn(|| {
            use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
            let _ = aws_smithy_http_client::Connector::builder()
                .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
                .build();
        });
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

#[cfg(test)]
mod tests {
    use super::plain_http_in;

    fn env(
        pairs: &[(&str, &str)],
    ) -> impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn the_endpoint_flag_decides_alone() {
        assert!(plain_http_in(Some("http://127.0.0.1:4566"), env(&[])));
        assert!(plain_http_in(Some("HTTP://localhost"), env(&[])));
        assert!(!plain_http_in(Some("https://127.0.0.1:4566"), env(&[])));
        // The flag is configuration in code: it wins over every variable.
        let https_lambda = [("AWS_ENDPOINT_URL_LAMBDA", "https://lambda.example")];
        assert!(plain_http_in(
            Some("http://127.0.0.1:1"),
            env(&https_lambda)
        ));
        let http_env = [("AWS_ENDPOINT_URL", "http://127.0.0.1:1")];
        assert!(!plain_http_in(Some("https://x.example"), env(&http_env)));
    }

    #[test]
    fn aws_endpoint_url_counts_when_nothing_can_send_a_service_elsewhere() {
        assert!(plain_http_in(
            None,
            env(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")])
        ));
        assert!(!plain_http_in(
            None,
            env(&[("AWS_ENDPOINT_URL", "https://127.0.0.1:4566")])
        ));
        assert!(!plain_http_in(None, env(&[])));
        let with_service = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4566"),
        ];
        assert!(!plain_http_in(None, env(&with_service)));
        let ignored = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ];
        assert!(!plain_http_in(None, env(&ignored)));
        let not_ignored = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"),
        ];
        assert!(plain_http_in(None, env(&not_ignored)));
    }
}
