//! SSM Parameter Store: the values of `${ssm:...}` (see `config::ssm`),
//! read with `GetParameters`, ten names a call, SecureStrings decrypted.
//! Only reads: nothing here writes.

use super::util::retry;
use super::{AwsError, ConnectOptions, ErrorKind, RetryBudget};
use crate::config::ssm::SsmValues;

/// Names per `GetParameters` call: SSM's limit.
pub const BATCH: usize = 10;

/// A client of Parameter Store in one region.
#[derive(Clone)]
pub struct Parameters {
    client: aws_sdk_ssm::Client,
}

impl Parameters {
    /// A client through the same configuration as every other (profile,
    /// region, `--endpoint-url`, retries).
    pub async fn connect(opts: &ConnectOptions) -> Result<Parameters, AwsError> {
        let (sdk, _) = super::sdk_config(opts).await?;
        Ok(Parameters {
            client: aws_sdk_ssm::Client::new(&sdk),
        })
    }

    /// The values of those of `names` that exist (decrypted); the names
    /// that do not are left out. Throttling is retried within `budget`.
    pub async fn read(&self, names: &[String], budget: RetryBudget) -> Result<SsmValues, AwsError> {
        let calls = names
            .chunks(BATCH)
            .map(|batch| retry(budget, move || self.batch(batch)));
        let found = futures_util::future::try_join_all(calls).await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn batch(&self, names: &[String]) -> Result<Vec<(String, String)>, AwsError> {
        let out = self
            .client
            .get_parameters()
            .set_names(Some(names.to_vec()))
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| with_hint(AwsError::from_sdk("GetParameters", &names.join(", "), e)))?;
        Ok(out
            .parameters()
            .iter()
            .filter_map(|p| Some((p.name()?.to_owned(), p.value()?.to_owned())))
            .collect())
    }
}

/// A refusal names both permissions a read needs.
fn with_hint(mut e: AwsError) -> AwsError {
    if e.kind == ErrorKind::AccessDenied {
        e.hint = Some(
            "the credentials may not read these parameters: allow `ssm:GetParameters` on them, and `kms:Decrypt` on the key of each SecureString, in the deploying identity's IAM policy"
                .to_owned(),
        );
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_both_permissions() {
        let mut e = AwsError::local("GetParameters", "denied", "x");
        e.kind = ErrorKind::AccessDenied;
        let hint = with_hint(e).hint.unwrap_or_default();
        assert!(
            hint.contains("`ssm:GetParameters`") && hint.contains("`kms:Decrypt`"),
            "{hint}"
        );
        let other = with_hint(AwsError::local("GetParameters", "other", "as it was"));
        assert_eq!(other.hint.as_deref(), Some("as it was"));
    }
}
