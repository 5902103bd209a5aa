//! A listener whose connections remember the first bytes read from them,
//! so that the handshake's header names can be given to `$connect` as the
//! client wrote them (HTTP/1 parsing lowercases them). Only the start of
//! a connection is kept (`TAP_LIMIT`), and the handshake handler stops the
//! recording once it has read it.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// How much of a connection's start is kept.
const TAP_LIMIT: usize = 32 * 1024;

/// What a connection recorded.
#[derive(Debug, Default)]
pub struct Tap {
    bytes: Mutex<Vec<u8>>,
    stopped: AtomicBool,
}

impl Tap {
    fn record(&self, data: &[u8]) {
        if self.stopped.load(Ordering::Relaxed) {
            return;
        }
        let mut bytes = self.bytes.lock().unwrap_or_else(|e| e.into_inner());
        let room = TAP_LIMIT.saturating_sub(bytes.len());
        bytes.extend_from_slice(&data[..data.len().min(room)]);
    }

    /// The bytes recorded so far; recording stops.
    pub fn take(&self) -> Vec<u8> {
        self.stopped.store(true, Ordering::Relaxed);
        std::mem::take(&mut *self.bytes.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The peer of a connection: its address and what it sent first
/// (`ConnectInfo<Peer>` in the handlers).
#[derive(Debug, Clone)]
pub struct Peer {
    pub addr: SocketAddr,
    pub tap: Arc<Tap>,
}

impl Connected<IncomingStream<'_, TapListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TapListener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener whose streams record their start.
pub struct TapListener(pub TcpListener);

impl axum::serve::Listener for TapListener {
    type Io = TapStream;
    type Addr = Peer;

    async fn accept(&mut self) -> (TapStream, Peer) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let tap = Arc::new(Tap::default());
                    let peer = Peer {
                        addr,
                        tap: tap.clone(),
                    };
                    return (TapStream { stream, tap }, peer);
                }
                // Out of file descriptors and the like: wait, as axum does.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Peer> {
        Ok(Peer {
            addr: self.0.local_addr()?,
            tap: Arc::new(Tap::default()),
        })
    }
}

/// A TCP stream that records what is read from it into its `Tap`.
pub struct TapStream {
    stream: TcpStream,
    tap: Arc<Tap>,
}

impl AsyncRead for TapStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            this.tap.record(&buf.filled()[before..]);
        }
        poll
    }
}

impl AsyncWrite for TapStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
