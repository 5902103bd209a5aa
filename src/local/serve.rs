//! The app served locally: what `wsdeploy dev` starts. Builds every
//! function the way `package` does and unpacks each package where its
//! workers run (`.wsdeploy/dev/<function>/`), so Node.js runs the very
//! bundle that deploy ships and Python finds its requirements next to its
//! code; then starts the worker pool and the gateway on one listener.
//!
//! Plain values in (the config, the options), a running server out; the
//! command prints and waits. Each function's package is unpacked into a
//! generation directory (`.wsdeploy/dev/<function>/<generation>/`), so that
//! a reload (`super::reload`) unpacks new code beside the code that
//! invocations in flight still run.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::gateway::{Api, Gateway, Limits, OnEvent, Route};
use super::runtime::{FunctionSpec, OutputFn, Pool, PoolOptions};
use crate::build::{self, Package};
use crate::config::model::{Build, Config, Function};
use crate::names::{ENV_APP, ENV_MANAGEMENT_ENDPOINT, ENV_STAGE};

/// The account id the local API reports (in ARNs and `methodArn`).
pub const LOCAL_ACCOUNT: &str = "000000000000";

/// How to serve.
#[derive(Debug, Clone)]
pub struct Options {
    pub host: String,
    pub port: u16,
    /// `--endpoint-url`: the handlers' other AWS calls go there.
    pub endpoint_url: Option<String>,
    pub idle_timeout: Duration,
    pub max_connection: Duration,
    /// AWS credentials for the handlers (dev's own, else dummy ones).
    pub credentials: Vec<(String, String)>,
    /// True when `credentials` are dev's own: `authorizer: iam` then
    /// verifies signatures against them (dummy ones verify nothing).
    pub real_credentials: bool,
}

/// Why the app could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Build(#[from] build::BuildError),
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("unpacking the package of `{function}` into `{}`: {detail}", dir.display())]
    Unpack {
        function: String,
        dir: PathBuf,
        detail: String,
    },
    #[error("starting the workers: {0}")]
    Workers(#[source] std::io::Error),
}

/// A started local API.
pub struct Server {
    pub addr: SocketAddr,
    pub gateway: Arc<Gateway>,
    pub pool: Pool,
    /// The config served, and how (what a reload starts from).
    pub config: Config,
    pub opts: Options,
    /// By short name: what each function's workers run.
    pub running: BTreeMap<String, Running>,
    /// The generation of the packages unpacked at start (a reload counts
    /// on from it).
    pub generation: u64,
    listener: Option<tokio::net::TcpListener>,
}

/// What one function's workers run: their settings, and the sha256 of the
/// package unpacked in `spec.task_root` (`None` when it had no package).
#[derive(Debug, Clone, PartialEq)]
pub struct Running {
    pub spec: FunctionSpec,
    pub sha256: Option<String>,
}

impl Server {
    /// `ws://HOST:PORT/<stage>`.
    pub fn url(&self, stage: &str) -> String {
        format!("ws://{}/{stage}", self.addr)
    }

    /// `http://HOST:PORT/<stage>`.
    pub fn management_endpoint(&self, stage: &str) -> String {
        format!("http://{}/{stage}", self.addr)
    }

    /// Serves until `shutdown` resolves, then closes every connection (and
    /// runs its `$disconnect`) and stops the workers.
    pub async fn run(
        mut self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let listener = self
            .listener
            .take()
            .ok_or_else(|| std::io::Error::other("the server runs once"))?;
        let served = self.gateway.serve(listener, shutdown).await;
        self.pool.shutdown().await;
        served
    }
}

/// Builds the app and starts its workers and gateway (not yet serving).
pub async fn start(
    config: &Config,
    opts: &Options,
    on_event: OnEvent,
    on_output: OutputFn,
) -> Result<Server, ServeError> {
    let listener = tokio::net::TcpListener::bind((opts.host.as_str(), opts.port))
        .await
        .map_err(|source| ServeError::Listen {
            addr: format!("{}:{}", opts.host, opts.port),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: format!("{}:{}", opts.host, opts.port),
        source,
    })?;
    let packages = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || build::build_all(&config, &|_| {}))
            .await
            .map_err(|e| build::BuildError::Stopped(e.to_string()))??
    };
    let endpoint = endpoint(addr, config);
    let mut running = BTreeMap::new();
    for f in config.functions.values() {
        let _ = std::fs::remove_dir_all(dev_root(config).join(&f.function_name));
        let package = packages.get(&f.function_name).map(|p| &**p);
        let r = install(config, f, package, 0, &endpoint, opts)?;
        running.insert(f.name.clone(), r);
    }
    let specs = running.values().map(|r| r.spec.clone()).collect();
    let region = region(config);
    let pool = Pool::start(
        specs,
        PoolOptions {
            on_output,
            region: region.clone(),
            account_id: LOCAL_ACCOUNT.to_owned(),
            ..PoolOptions::default()
        },
    )
    .await
    .map_err(ServeError::Workers)?;
    let gateway = Gateway::new(
        api(config, &region),
        Limits {
            idle: opts.idle_timeout,
            max_age: opts.max_connection,
            ..Limits::default()
        },
        Arc::new(pool.clone()),
        on_event,
    )
    .with_credentials(
        super::gateway::Credentials::from_pairs(&opts.credentials)
            .filter(|_| opts.real_credentials),
    );
    Ok(Server {
        addr,
        gateway: Arc::new(gateway),
        pool,
        config: config.clone(),
        opts: opts.clone(),
        running,
        generation: 0,
        listener: Some(listener),
    })
}

/// `http://HOST:PORT/<stage>`: the management endpoint handlers are given.
pub fn endpoint(addr: SocketAddr, config: &Config) -> String {
    format!("http://{addr}/{}", config.stage)
}

/// The region the local API reports (`us-east-1` when none is set).
pub fn region(config: &Config) -> String {
    config
        .region
        .clone()
        .unwrap_or_else(|| "us-east-1".to_owned())
}

/// The routes and settings the gateway serves.
pub fn api(config: &Config, region: &str) -> Api {
    Api {
        stage: config.stage.clone(),
        region: region.to_owned(),
        api_id: local_api_id(&config.app, &config.stage),
        account_id: LOCAL_ACCOUNT.to_owned(),
        route_selection_expression: config.api.route_selection_expression.clone(),
        routes: config
            .routes
            .iter()
            .map(|(key, r)| {
                (
                    key.clone(),
                    Route {
                        function: r.function.clone(),
                        return_response: r.return_response,
                    },
                )
            })
            .collect(),
        stage_variables: config.api.variables.clone(),
        authorizer: config.authorizer.as_ref().map(|a| {
            use super::gateway::Authorizer;
            use crate::config::model::Authorizer as Configured;
            match a {
                Configured::Lambda {
                    name,
                    function,
                    identity_sources,
                } => Authorizer::Lambda {
                    name: name.clone(),
                    function: function.clone(),
                    identity_sources: identity_sources.clone(),
                },
                Configured::Iam => Authorizer::Iam,
            }
        }),
    }
}

/// A stable API id per app and stage: ten lowercase letters and digits,
/// as AWS's look.
fn local_api_id(app: &str, stage: &str) -> String {
    let digest = build::cache::sha256_hex(format!("{app}\0{stage}").as_bytes());
    digest.chars().take(10).collect()
}

/// `.wsdeploy/dev/`, beside the build cache.
pub fn dev_root(config: &Config) -> PathBuf {
    build::cache::root_of(&config.file)
        .parent()
        .map_or_else(|| PathBuf::from(".wsdeploy/dev"), |p| p.join("dev"))
}

/// Where generation `generation` of a function's package is unpacked.
pub fn task_root(config: &Config, f: &Function, generation: u64) -> PathBuf {
    dev_root(config)
        .join(&f.function_name)
        .join(generation.to_string())
}

/// A function's worker settings with its code in `task_root`.
pub fn spec_for(
    config: &Config,
    f: &Function,
    task_root: PathBuf,
    endpoint: &str,
    opts: &Options,
) -> FunctionSpec {
    FunctionSpec {
        name: f.name.clone(),
        function_name: f.function_name.clone(),
        runtime: f.runtime.clone(),
        handler: f.handler.clone(),
        environment: environment(config, f, endpoint, opts),
        timeout: Duration::from_secs(u64::from(f.timeout)),
        memory_size: f.memory_size,
        python_path: Vec::new(),
        task_root,
    }
}

/// Unpacks a function's package as generation `generation` and returns
/// what its workers run.
pub fn install(
    config: &Config,
    f: &Function,
    package: Option<&Package>,
    generation: u64,
    endpoint: &str,
    opts: &Options,
) -> Result<Running, ServeError> {
    let task_root = task_root(config, f, generation);
    if let Some(p) = package {
        unpack(&p.bytes, &task_root).map_err(|detail| ServeError::Unpack {
            function: f.function_name.clone(),
            dir: task_root.clone(),
            detail,
        })?;
    }
    Ok(Running {
        spec: spec_for(config, f, task_root, endpoint, opts),
        sha256: package.map(|p| p.sha256.clone()),
    })
}

/// What a handler finds in its environment: its own variables, then what
/// wsdeploy adds in AWS (pointing at this server), the region, credentials
/// so that SDK calls sign, and `--endpoint-url` for its other AWS calls.
fn environment(
    config: &Config,
    f: &Function,
    endpoint: &str,
    opts: &Options,
) -> BTreeMap<String, String> {
    let mut env = f.environment.clone();
    env.insert(ENV_MANAGEMENT_ENDPOINT.to_owned(), endpoint.to_owned());
    env.insert(
        "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI".to_owned(),
        endpoint.to_owned(),
    );
    env.insert(ENV_APP.to_owned(), config.app.clone());
    env.insert(ENV_STAGE.to_owned(), config.stage.clone());
    let region = region(config);
    env.insert("AWS_REGION".to_owned(), region.clone());
    env.insert("AWS_DEFAULT_REGION".to_owned(), region);
    for (k, v) in &opts.credentials {
        env.insert(k.clone(), v.clone());
    }
    if let Some(url) = &opts.endpoint_url {
        env.insert("AWS_ENDPOINT_URL".to_owned(), url.clone());
    }
    if matches!(&f.build, Build::Bundle(b) if b.sourcemap) {
        env.entry("NODE_OPTIONS".to_owned())
            .or_insert_with(|| "--enable-source-maps".to_owned());
    }
    env
}

/// Replaces `dir` with the contents of a package.
fn unpack(zip_bytes: &[u8], dir: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).map_err(|e| e.to_string())?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| e.to_string())?;
        // Names wsdeploy wrote itself; still, nothing leaves `dir`.
        let Some(rel) = entry.enclosed_name() else {
            continue;
        };
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(|e| e.to_string())?;
        std::fs::write(&path, data).map_err(|e| e.to_string())?;
        #[cfg(unix)]
        if let Some(mode) = entry.unix_mode() {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o777));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_id_is_stable_per_app_and_stage_and_looks_like_aws() {
        let id = local_api_id("chat", "dev");
        assert_eq!(id, local_api_id("chat", "dev"));
        assert_ne!(id, local_api_id("chat", "prod"));
        assert_ne!(id, local_api_id("chats", "dev"));
        assert_eq!(id.len(), 10);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }
}
