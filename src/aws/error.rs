//! Failed AWS calls: what went wrong, classified once, with a hint.
//!
//! Every SDK error becomes an `AwsError` in `from_sdk`, which is the only
//! place that reads AWS error codes. The SDK's typed errors are one enum per
//! operation (`GetFunctionError::ResourceNotFoundException`, ...); what they
//! share is the code each variant is parsed from, so the table in
//! `classify` maps those codes to the few kinds wsdeploy branches on (not
//! found, already exists, throttled, conflict, ...). Callers match on
//! `ErrorKind`, never on code strings. Message text is read only where AWS
//! gives nothing else, each time with a comment saying so.
//!
//! The service of a failed call comes from the SDK crate of its error type,
//! so a hint names the right one (`logs:PutRetentionPolicy`, not `iam:`).

use aws_sdk_lambda::error::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What kind of failure, for retry decisions, idempotent writes and hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    /// A create found the resource there already (a run that stopped after
    /// creating it, or a lock someone holds).
    AlreadyExists,
    /// Over a quota: retry later.
    Throttled,
    /// Concurrent modification or an update in progress: retry later.
    Conflict,
    /// A role too new for Lambda to assume: retry later.
    RolePropagation,
    /// A conditional write found the resource changed since it was read.
    Changed,
    AccessDenied,
    /// The credentials were refused as invalid or expired.
    InvalidCredentials,
    /// No credentials could be found at all.
    Credentials,
    /// The request never got an answer (network, timeout).
    Transport,
    Other,
}

/// A failed AWS call: which operation on which resource, AWS's code and
/// message, and a hint when one is known. Also used for the few problems
/// wsdeploy finds while working against AWS (`local`).
#[derive(Debug, Clone)]
pub struct AwsError {
    pub operation: String,
    pub resource: String,
    /// AWS's error code, or `wsdeploy` for `local` errors.
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    pub kind: ErrorKind,
    /// The IAM service prefix of the failed call (`lambda`, `logs`, ...);
    /// empty for `local` errors.
    pub service: &'static str,
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
            service: "",
        }
    }

    /// A problem with a resource that AWS reports as a state, not as an
    /// error (a certificate ACM failed, a function that never became
    /// Active): `code` says which state.
    pub fn state(
        operation: &str,
        resource: &str,
        code: &str,
        message: String,
        hint: &str,
    ) -> AwsError {
        AwsError {
            operation: operation.to_owned(),
            resource: resource.to_owned(),
            code: code.to_owned(),
            message,
            hint: Some(hint.to_owned()),
            kind: ErrorKind::Other,
            service: "",
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
        let kind = match &err {
            SdkError::ServiceError(_) => classify(&code, &message),
            SdkError::TimeoutError(_) => ErrorKind::Transport,
            // The SDK reports missing credentials as a dispatch failure; its
            // message is all that tells them from a network problem.
            SdkError::DispatchFailure(_) if message.contains("credential") => {
                ErrorKind::Credentials
            }
            SdkError::DispatchFailure(_) => ErrorKind::Transport,
            _ => ErrorKind::Other,
        };
        let service = service_of::<E>();
        AwsError {
            hint: hint_for(kind, service, operation),
            operation: operation.to_owned(),
            resource: resource.to_owned(),
            code,
            message,
            kind,
            service,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// Worth trying again later: throttled or in conflict with an update in
    /// progress.
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Conflict)
    }
}

/// The IAM service prefix of the SDK crate an error type comes from.
fn service_of<E>() -> &'static str {
    const CRATES: [(&str, &str); 8] = [
        ("aws_sdk_apigatewayv2::", "apigateway"),
        ("aws_sdk_lambda::", "lambda"),
        ("aws_sdk_iam::", "iam"),
        ("aws_sdk_cloudwatchlogs::", "logs"),
        ("aws_sdk_acm::", "acm"),
        ("aws_sdk_route53::", "route53"),
        ("aws_sdk_sts::", "sts"),
        ("aws_sdk_ssm::", "ssm"),
    ];
    let name = std::any::type_name::<E>();
    CRATES
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map_or("", |(_, service)| service)
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

/// Classifies a service error by AWS's error code (structured data on every
/// response, and what the SDK's typed variants are parsed from). Only role
/// propagation must be told by message text: Lambda reports it as a plain
/// `InvalidParameterValueException`.
fn classify(code: &str, message: &str) -> ErrorKind {
    match code {
        "NotFoundException"
        | "ResourceNotFoundException"
        | "NoSuchEntity"
        | "NoSuchEntityException"
        | "NoSuchHostedZone"
        // Lambda: an alias or version with no provisioned concurrency.
        | "ProvisionedConcurrencyConfigNotFoundException" => ErrorKind::NotFound,
        "ResourceAlreadyExistsException" | "EntityAlreadyExists" | "AlreadyExistsException" => {
            ErrorKind::AlreadyExists
        }
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
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException" => ErrorKind::InvalidCredentials,
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
            ErrorKind::AccessDenied
        }
        _ => ErrorKind::Other,
    }
}

fn hint_for(kind: ErrorKind, service: &str, operation: &str) -> Option<String> {
    let text = match kind {
        ErrorKind::InvalidCredentials => {
            "the credentials are invalid or expired: refresh them (for example `aws sso login`)"
                .to_owned()
        }
        ErrorKind::AccessDenied if service.is_empty() => {
            format!("the credentials may not call `{operation}`: allow it in the deploying identity's IAM policy")
        }
        ErrorKind::AccessDenied => format!(
            "the credentials may not call `{service}:{operation}`: allow it in the deploying identity's IAM policy"
        ),
        ErrorKind::Credentials => "no usable AWS credentials: set AWS_PROFILE or pass `--profile`, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or log in with `aws sso login`".to_owned(),
        ErrorKind::Transport => {
            "AWS did not answer: check the network, the region and `--endpoint-url`".to_owned()
        }
        ErrorKind::Throttled => "AWS kept throttling this account through wsdeploy's retries: wait a little and run again (`--retry-budget` sets how long writes are retried)".to_owned(),
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            classify("ResourceAlreadyExistsException", ""),
            ErrorKind::AlreadyExists
        );
    }

    #[test]
    fn the_service_comes_from_the_error_type() {
        use aws_sdk_cloudwatchlogs::operation::put_retention_policy::PutRetentionPolicyError;
        use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError;
        assert_eq!(service_of::<PutRetentionPolicyError>(), "logs");
        assert_eq!(service_of::<ChangeResourceRecordSetsError>(), "route53");
        assert_eq!(
            service_of::<aws_sdk_acm::operation::request_certificate::RequestCertificateError>(),
            "acm"
        );
        assert_eq!(
            service_of::<aws_sdk_iam::operation::get_role::GetRoleError>(),
            "iam"
        );
        let hint = hint_for(ErrorKind::AccessDenied, "logs", "PutRetentionPolicy");
        assert!(hint.is_some_and(|h| h.contains("`logs:PutRetentionPolicy`")));
    }
}
