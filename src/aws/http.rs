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
//!
//! A run that will talk HTTPS starts reading the trust store on a thread
//! of its own at start-up (`load_tls_roots_early`).

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
    Builder::new().build_with_connector_fn(tls_connector)
}

/// A TLS connector: the first one made in a process reads the trust
/// store, which the TLS provider keeps for the rest.
fn tls_connector(
    settings: Option<&HttpConnectorSettings>,
    components: Option<&RuntimeComponents>,
) -> aws_smithy_http_client::Connector {
    builder(settings, components)
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .build()
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

/// Whether every AWS request of this run goes to a plain-HTTP endpoint (a
/// local emulator such as moto or LocalStack): `--endpoint-url http://...`,
/// or `AWS_ENDPOINT_URL=http://...` with no service's own endpoint set
/// (`AWS_ENDPOINT_URL_<SERVICE>`, which the SDK prefers) and configured
/// endpoints not turned off. Such a run has no use for the trust store,
/// so it is not loaded ahead (`load_tls_roots_early`); the HTTP client
/// decides by each request's URL anyway (`client`), so a wrong answer here
/// costs time, never a failed request. An endpoint in a profile counts
/// as HTTPS.
fn plain_http(endpoint_flag: Option<&str>) -> bool {
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
        .spawn(|| drop(tls_connector(None, None)));
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
