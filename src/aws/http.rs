//! The HTTP client of every AWS client and credential provider: the SDK's
//! own HTTPS client (rustls), made when a request first goes to an
//! `https://` URL, and a plain HTTP client for `http://` URLs (a local
//! emulator such as moto or LocalStack).
//!
//! The SDK's default client builds its TLS connector, and so reads the
//! system's trust store (a few milliseconds of file reads and parsing),
//! as soon as any client is made, whether or not a request ever uses TLS:
//! aws-config makes one while it builds the credential chain. A run whose
//! requests all go to `http://` opens no TLS connection, so it reads no
//! trust store, as any HTTP client (botocore's included) does for an
//! `http://` URL. Everything else is the SDK's default: the same TLS
//! provider, timeouts and proxies from the environment. When the
//! environment names a proxy for HTTP, every request goes through the
//! default client, as before.

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

/// The variables that can send a plain-HTTP request through a proxy.
const HTTP_PROXY_VARS: [&str; 4] = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

/// The client every AWS client of a run is made with.
pub fn client() -> SharedHttpClient {
    let proxied = HTTP_PROXY_VARS
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    ByScheme {
        plain: (!proxied).then(plain),
        tls: tls(),
    }
    .into_shared()
}

/// A connector builder with the settings and sleep the SDK passes, and
/// the proxies of the environment.
fn builder(
    settings: Option<&HttpConnectorSettings>,
    components: Option<&RuntimeComponents>,
) -> ConnectorBuilder {
    let mut b = ConnectorBuilder::default();
    b.set_connector_settings(settings.cloned());
    if let Some(c) = components {
        b.set_sleep_impl(c.sleep_impl());
    }
    b.set_proxy_config(Some(ProxyConfig::from_env()));
    b
}

/// The SDK's default HTTPS client (rustls with aws-lc), as
/// aws-smithy-runtime makes it for the current behaviour version.
fn tls() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        builder(settings, components)
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
            .build()
    })
}

/// The same without TLS, for `http://` URLs.
fn plain() -> SharedHttpClient {
    Builder::new()
        .build_with_connector_fn(|settings, components| builder(settings, components).build_http())
}

/// Chooses the client by the scheme of each request. Both clients keep
/// their connectors (one per settings); the TLS one makes its first when
/// the first `https://` request is sent, not when a client is made.
#[derive(Debug)]
struct ByScheme {
    /// `None` when a proxy is set for HTTP: the TLS client then takes all.
    plain: Option<SharedHttpClient>,
    tls: SharedHttpClient,
}

impl HttpClient for ByScheme {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        Route {
            plain: self
                .plain
                .as_ref()
                .map(|p| p.http_connector(settings, components)),
            tls: self.tls.clone(),
            settings: settings.clone(),
            components: components.clone(),
        }
        .into_shared()
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.tls.connector_metadata()
    }
}

/// One connector per settings: sends each request by its scheme.
#[derive(Debug)]
struct Route {
    plain: Option<SharedHttpConnector>,
    tls: SharedHttpClient,
    settings: HttpConnectorSettings,
    components: RuntimeComponents,
}

impl HttpConnector for Route {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        match &self.plain {
            Some(plain) if request.uri().starts_with("http://") => plain.call(request),
            _ => self
                .tls
                .http_connector(&self.settings, &self.components)
                .call(request),
        }
    }
}
