//! The AWS adapter: clients, errors and retries. SDK types stop here and in
//! the submodules; the rest of wsdeploy sees `state::State`, `AwsError` and
//! plain values.
//!
//! - `observe`: reads the live state of one app and stage.
//! - `apply`: carries out a plan.

// AwsError carries the operation, resource, AWS code, message and hint so
// that every failure can be reported in full; it is returned rarely, so
// its size does not matter and boxing it would only add noise.
#![allow(clippy::result_large_err)]

/// Every page of an API Gateway v2 `Get*` list call, collected. `$call`
/// builds the request (it is built again for each page), `$op` names the
/// operation and `$res` the resource for errors. Used inside a function
/// returning `Result<_, AwsError>`.
macro_rules! all_pages {
    ($call:expr, $op:expr, $res:expr) => {{
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = $call
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| $crate::aws::AwsError::from_sdk($op, $res, e))?;
            items.extend(out.items().iter().cloned());
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                break items;
            }
        }
    }};
}

pub mod apply;
pub mod domain;
pub mod lock;
pub mod observe;

use std::future::Future;
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_lambda::error::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The clients and the facts about the account that every step needs.
#[derive(Clone)]
pub struct Aws {
    pub apigw: aws_sdk_apigatewayv2::Client,
    /// API Gateway without the SDK's retries, for the domain-name calls:
    /// `retry` waits out their quota and says so.
    pub apigw_once: aws_sdk_apigatewayv2::Client,
    pub lambda: aws_sdk_lambda::Client,
    /// Lambda without the SDK's retries, for the lock-free code upload: a
    /// throttled upload sends the run down the locked path at once rather
    /// than widening the time between its read and its write.
    pub lambda_once: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
    pub acm: aws_sdk_acm::Client,
    pub route53: aws_sdk_route53::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sts: aws_sdk_sts::Client,
    pub region: String,
    /// Empty until `identify` has run.
    pub account_id: String,
    pub partition: String,
    reads: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Reads of a fan-out in flight at once.
pub const READ_CONCURRENCY: usize = 32;

/// The partition of a region, known from its name (STS confirms it).
pub fn partition_of(region: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 6] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
    ];
    PREFIXES
        .iter()
        .find(|(p, _)| region.starts_with(p))
        .map_or("aws", |(_, partition)| partition)
}

/// How to reach AWS: the standard chain, overridden by flags.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub profile: Option<String>,
    /// From `--region`, else the config file.
    pub region: Option<String>,
    /// `--endpoint-url`; `AWS_ENDPOINT_URL` is read by the SDK itself.
    pub endpoint_url: Option<String>,
}

impl Aws {
    pub async fn connect(opts: &ConnectOptions) -> Result<Aws, AwsError> {
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
        let sdk = loader.load().await;
        let Some(region) = sdk.region().map(|r| r.to_string()) else {
            return Err(AwsError::local(
                "choosing a region",
                "no AWS region is configured",
                "set `region:` in wsdeploy.yml, pass `--region`, or set AWS_REGION",
            ));
        };
        Ok(Aws {
            apigw: aws_sdk_apigatewayv2::Client::new(&sdk),
            apigw_once: aws_sdk_apigatewayv2::Client::from_conf(
                aws_sdk_apigatewayv2::config::Builder::from(&sdk)
                    .retry_config(aws_config::retry::RetryConfig::disabled())
                    .build(),
            ),
            lambda: aws_sdk_lambda::Client::new(&sdk),
            lambda_once: aws_sdk_lambda::Client::from_conf(
                aws_sdk_lambda::config::Builder::from(&sdk)
                    .retry_config(aws_config::retry::RetryConfig::disabled())
                    .build(),
            ),
            iam: aws_sdk_iam::Client::new(&sdk),
            acm: aws_sdk_acm::Client::new(&sdk),
            route53: aws_sdk_route53::Client::new(&sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(&sdk),
            sts: aws_sdk_sts::Client::new(&sdk),
            partition: partition_of(&region).to_owned(),
            region,
            account_id: String::new(),
            reads: std::sync::Arc::new(tokio::sync::Semaphore::new(READ_CONCURRENCY)),
        })
    }

    /// Asks STS whose credentials these are and fills in `account_id` (and
    /// the partition, should its ARN say otherwise). Kept apart from
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

    /// Runs one read of a fan-out (a call per function, role or route)
    /// under the read limit, so that a large app neither floods AWS's
    /// quotas nor holds hundreds of connections at once.
    pub async fn read<T>(&self, call: impl Future<Output = T>) -> T {
        let _slot = self.reads.acquire().await;
        call.await
    }

    pub fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:{}:lambda:{}:{}:function:{name}",
            self.partition, self.region, self.account_id
        )
    }

    pub fn role_arn(&self, path: &str, name: &str) -> String {
        format!(
            "arn:{}:iam::{}:role{path}{name}",
            self.partition, self.account_id
        )
    }

    pub fn api_arn(&self, api_id: &str) -> String {
        format!(
            "arn:{}:apigateway:{}::/apis/{api_id}",
            self.partition, self.region
        )
    }

    pub fn stage_arn(&self, api_id: &str, stage: &str) -> String {
        format!("{}/stages/{stage}", self.api_arn(api_id))
    }

    /// The integration URI API Gateway uses to invoke a function.
    pub fn invocation_uri(&self, function: &str) -> String {
        format!(
            "arn:{}:apigateway:{}:lambda:path/2015-03-31/functions/{}/invocations",
            self.partition,
            self.region,
            self.function_arn(function)
        )
    }
}

/// What kind of failure, for retry decisions and hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    /// Over a quota: retry later.
    Throttled,
    /// Concurrent modification or an update in progress: retry later.
    Conflict,
    /// A role too new for Lambda to assume: retry later.
    RolePropagation,
    /// A conditional write found the resource changed since it was read.
    Changed,
    AccessDenied,
    Credentials,
    /// The request never got an answer (network, timeout).
    Transport,
    Other,
}

/// A failed AWS call: which operation on which resource, AWS's code and
/// message, and a hint when one is known.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub operation: String,
    pub resource: String,
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    pub kind: ErrorKind,
}

impl std::fmt::Display for AwsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.code == LOCAL {
            write!(f, "{}: {}", self.operation, self.message)
        } else if self.resource.is_empty() {
            write!(
                f,
                "{} failed: {}: {}",
                self.operation, self.code, self.message
            )
        } else {
            write!(
                f,
                "{} on `{}` failed: {}: {}",
                self.operation, self.resource, self.code, self.message
            )
        }
    }
}

impl std::error::Error for AwsError {}

/// The code of errors wsdeploy finds itself.
const LOCAL: &str = "wsdeploy";

impl AwsError {
    /// An error found before or without calling AWS.
    pub fn local(operation: &str, message: &str, hint: &str) -> AwsError {
        AwsError {
            operation: operation.to_owned(),
            resource: String::new(),
            code: LOCAL.to_owned(),
            message: message.to_owned(),
            hint: Some(hint.to_owned()),
            kind: ErrorKind::Other,
        }
    }

    pub fn from_sdk<E, R>(operation: &str, resource: &str, err: SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + 'static,
    {
        let (code, message) = match &err {
            SdkError::ServiceError(_) => (
                err.code().unwrap_or("Unknown").to_owned(),
                err.message().unwrap_or("").to_owned(),
            ),
            SdkError::TimeoutError(_) => ("Timeout".to_owned(), chain(&err)),
            SdkError::DispatchFailure(_) => ("Dispatch".to_owned(), chain(&err)),
            _ => ("Request".to_owned(), chain(&err)),
        };
        let kind = classify(&code, &message);
        let hint = hint_for(kind, operation, &code);
        AwsError {
            operation: operation.to_owned(),
            resource: resource.to_owned(),
            code,
            message,
            hint,
            kind,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
}

/// A read of something that may not exist: "not found" is `None`.
pub fn found<T>(r: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The messages of an error and its sources, most specific last, without
/// repeats and without Debug dumps.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    let joined = parts.join(": ");
    if joined.is_empty() {
        DisplayErrorContext(err).to_string()
    } else {
        joined
    }
}

/// Classifies by AWS's error code (structured data on every response).
/// Only role propagation must be told by message text: Lambda reports it
/// as a plain `InvalidParameterValueException`.
fn classify(code: &str, message: &str) -> ErrorKind {
    match code {
        "NotFoundException"
        | "ResourceNotFoundException"
        | "NoSuchEntity"
        | "NoSuchEntityException" => ErrorKind::NotFound,
        "TooManyRequestsException"
        | "ThrottlingException"
        | "Throttling"
        | "ThrottledException"
        | "PriorRequestNotComplete"
        | "RequestLimitExceeded"
        | "LimitExceededException" => ErrorKind::Throttled,
        "ConflictException"
        | "ResourceConflictException"
        | "ResourceInUseException"
        | "ConcurrentModification"
        | "ConcurrentModificationException"
        | "OperationAbortedException" => ErrorKind::Conflict,
        "PreconditionFailedException" => ErrorKind::Changed,
        "InvalidParameterValueException"
            if message.contains("cannot be assumed by Lambda")
                || message.contains("does not have permissions") =>
        {
            ErrorKind::RolePropagation
        }
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException" => ErrorKind::AccessDenied,
        "Timeout" => ErrorKind::Transport,
        "Dispatch" if message.contains("credential") => ErrorKind::Credentials,
        "Dispatch" => ErrorKind::Transport,
        _ => ErrorKind::Other,
    }
}

fn hint_for(kind: ErrorKind, operation: &str, code: &str) -> Option<String> {
    let service = match operation {
        "GetCallerIdentity" => "sts",
        op if op.contains("Role") || op.contains("Policy") && !op.contains("GetPolicy") => "iam",
        op if op.contains("Function")
            || op.contains("Permission")
            || op == "GetPolicy"
            || op == "ListTags" =>
        {
            "lambda"
        }
        _ => "apigateway",
    };
    match kind {
        ErrorKind::AccessDenied if matches!(code, "InvalidClientTokenId" | "UnrecognizedClientException" | "ExpiredToken" | "ExpiredTokenException") => {
            Some("the credentials are invalid or expired: refresh them (for example `aws sso login`)".to_owned())
        }
        ErrorKind::AccessDenied => Some(format!(
            "the credentials may not call `{service}:{operation}`: allow it in the deploying identity's IAM policy"
        )),
        ErrorKind::Credentials => Some(
            "no usable AWS credentials: set AWS_PROFILE or pass `--profile`, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or log in with `aws sso login`"
                .to_owned(),
        ),
        ErrorKind::Transport => Some("AWS did not answer: check the network, the region and `--endpoint-url`".to_owned()),
        ErrorKind::Throttled => Some(
            "AWS kept throttling this account through wsdeploy's retries: wait a little and run again (`--retry-budget` sets how long writes are retried)"
                .to_owned(),
        ),
        _ => None,
    }
}

/// How long to keep retrying one call, by what went wrong.
#[derive(Debug, Clone, Copy)]
pub struct RetryBudget {
    /// Throttling and conflicts.
    pub transient: Duration,
    /// A new role not yet assumable by Lambda (Chalice waits 150 s,
    /// Terraform 2 minutes; usually it takes seconds).
    pub role_propagation: Duration,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            transient: Duration::from_secs(90),
            role_propagation: Duration::from_secs(120),
        }
    }
}

/// Runs `call` until it succeeds, fails with an error not worth retrying,
/// or the budget for its kind of error is spent. Backoff doubles from
/// 100 ms to 5 s with jitter.
pub async fn retry<T, F, Fut>(budget: RetryBudget, mut call: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let start = Instant::now();
    let mut delay = Duration::from_millis(100);
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                let limit = match e.kind {
                    ErrorKind::Throttled | ErrorKind::Conflict => budget.transient,
                    ErrorKind::RolePropagation => budget.role_propagation,
                    _ => return Err(e),
                };
                if start.elapsed() + delay > limit {
                    let mut e = e;
                    e.hint = Some(format!(
                        "gave up after {attempt} attempts in {:.0} s (the retry budget for this error is {} s); run again to continue",
                        start.elapsed().as_secs_f64(),
                        limit.as_secs()
                    ));
                    return Err(e);
                }
                tokio::time::sleep(jitter(delay)).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Up to 25% off, from the clock's low bits: enough to spread retries of
/// concurrent calls without a random-number crate.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos());
    let cut = d.as_millis() as u64 * u64::from(nanos % 250) / 1000;
    d.saturating_sub(Duration::from_millis(cut))
}

/// IAM returns policy documents URL-encoded; some emulators do not.
pub fn decode_policy(doc: &str) -> serde_json::Value {
    let text = if doc.trim_start().starts_with('{') {
        doc.to_owned()
    } else {
        percent_decode(doc)
    };
    serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_from_region_names() {
        assert_eq!(partition_of("us-east-1"), "aws");
        assert_eq!(partition_of("eu-central-2"), "aws");
        assert_eq!(partition_of("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_of("us-iso-east-1"), "aws-iso");
        assert_eq!(partition_of("us-isob-east-1"), "aws-iso-b");
    }

    #[test]
    fn decodes_url_encoded_policies() {
        let v = decode_policy("%7B%22Version%22%3A%222012-10-17%22%7D");
        assert_eq!(v["Version"], "2012-10-17");
        let v = decode_policy("{\"a\":1}");
        assert_eq!(v["a"], 1);
    }

    #[test]
    fn classifies_by_code() {
        assert_eq!(classify("NoSuchEntity", ""), ErrorKind::NotFound);
        assert_eq!(
            classify(
                "PreconditionFailedException",
                "The Revision Id provided does not match"
            ),
            ErrorKind::Changed
        );
        assert_eq!(
            classify("TooManyRequestsException", ""),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify(
                "InvalidParameterValueException",
                "The role defined for the function cannot be assumed by Lambda."
            ),
            ErrorKind::RolePropagation
        );
        assert_eq!(
            classify("InvalidParameterValueException", "bad runtime"),
            ErrorKind::Other
        );
    }
}
