//! The Node.js and Python shims that wsdeploy ships inside its binary, and
//! the temporary directory they are written to once, when a pool starts.
//! The directory is removed when the pool shuts down (or is dropped).

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

const NODE_SHIM: &str = include_str!("shims/node.mjs");
const PYTHON_SHIM: &str = include_str!("shims/python.py");

/// The shims on disk.
#[derive(Debug)]
pub(crate) struct Shims {
    dir: PathBuf,
}

impl Shims {
    /// Writes both shims to a new directory under the system's temp dir.
    pub(crate) fn write() -> io::Result<Shims> {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "wsdeploy-dev-{}-{nanos}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let shims = Shims { dir };
        std::fs::write(shims.node(), NODE_SHIM)?;
        std::fs::write(shims.python(), PYTHON_SHIM)?;
        Ok(shims)
    }

    /// The Node.js shim (an ES module).
    pub(crate) fn node(&self) -> PathBuf {
        self.dir.join("wsdeploy-node-runtime.mjs")
    }

    /// The Python shim. Its directory comes first on `sys.path`, so its
    /// name must not shadow a module a handler imports.
    pub(crate) fn python(&self) -> PathBuf {
        self.dir.join("wsdeploy_python_runtime.py")
    }

    /// Removes the directory; a second call does nothing.
    pub(crate) fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Shims {
    fn drop(&mut self) {
        self.remove();
    }
}
