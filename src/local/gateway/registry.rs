//! The open connections by id, and how the rest of the gateway reaches
//! one: a channel to its task (text to deliver, a close to perform).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio::sync::{mpsc, oneshot};

use super::events::ConnCtx;

/// What a connection's task is asked to do.
#[derive(Debug)]
pub enum Outbound {
    /// Send one text frame; `ack` learns whether it was written.
    Text {
        text: String,
        ack: Option<oneshot::Sender<bool>>,
    },
    /// Close with this code and reason (`DELETE @connections`).
    Close { code: u16, reason: String },
}

/// An open connection as the registry holds it.
#[derive(Debug)]
pub struct Conn {
    pub ctx: Arc<ConnCtx>,
    tx: mpsc::UnboundedSender<Outbound>,
    last_active: Mutex<SystemTime>,
    closing: AtomicBool,
}

impl Conn {
    pub fn new(ctx: Arc<ConnCtx>, tx: mpsc::UnboundedSender<Outbound>) -> Self {
        let last_active = Mutex::new(ctx.connected_at);
        Conn {
            ctx,
            tx,
            last_active,
            closing: AtomicBool::new(false),
        }
    }

    /// Hands `out` to the connection's task; false when it is gone.
    pub fn send(&self, out: Outbound) -> bool {
        !self.is_closing() && self.tx.send(out).is_ok()
    }

    /// Something was received from the client now.
    pub fn touch(&self) {
        *self.last_active.lock().unwrap_or_else(|e| e.into_inner()) = SystemTime::now();
    }

    pub fn last_active(&self) -> SystemTime {
        *self.last_active.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// From now on the connection counts as gone for `@connections`.
    pub fn mark_closing(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }
}

/// The connections from their accepted handshake to the end of their
/// `$disconnect`.
#[derive(Debug, Default)]
pub struct Registry {
    map: Mutex<HashMap<String, Arc<Conn>>>,
}

impl Registry {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Conn>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn insert(&self, conn: Arc<Conn>) {
        self.map().insert(conn.ctx.id.clone(), conn);
    }

    /// The connection `id` unless it is closing or gone.
    pub fn open(&self, id: &str) -> Option<Arc<Conn>> {
        self.map().get(id).filter(|c| !c.is_closing()).cloned()
    }

    pub fn remove(&self, id: &str) {
        self.map().remove(id);
    }

    pub fn len(&self) -> usize {
        self.map().len()
    }
}
