//! The seam between the local gateway and the handlers: the gateway asks
//! for a function to be invoked with an event and gets the handler's
//! answer, or why there is none. `runtime::Pool` is the implementation;
//! the gateway knows only this.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// Why an invocation has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvokeError {
    /// The handler threw or returned an error (Lambda's function error):
    /// `errorType` and `errorMessage` as the runtime reported them.
    #[error("{error_type}: {message}")]
    Handler { error_type: String, message: String },
    /// The function ran past its `timeout`; its worker was stopped.
    #[error("the function timed out after {0:?}")]
    Timeout(Duration),
    /// The worker failed to start the handler (import error, syntax error)
    /// or died during the invocation.
    #[error("the worker failed: {0}")]
    Crashed(String),
    /// No such function in the app.
    #[error("no function `{0}`")]
    NoFunction(String),
    /// An external function (a route's or the authorizer's Lambda
    /// function ARN): it is deployed elsewhere, and dev runs only the
    /// app's own functions.
    #[error("`wsdeploy dev` does not run the external function `{0}`: it is deployed elsewhere")]
    External(String),
    /// dev does not run this runtime.
    #[error("`wsdeploy dev` does not run `{0}` functions yet")]
    Unsupported(String),
}

/// A boxed future, so that `Invoke` can be a trait object.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Invokes a function of the app (by its short name, as in the config)
/// with an event, and resolves to what the handler returned.
pub trait Invoke: Send + Sync {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        event: serde_json::Value,
    ) -> BoxFuture<'a, Result<serde_json::Value, InvokeError>>;
}
