//! What the server's connections share: the settings and the state behind one lock.

use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};

use super::config::Settings;
use super::state::State;

/// The fake daemon behind its HTTP server.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) addr: SocketAddr,
    pub(crate) cfg: Settings,
    state: Mutex<State>,
}

impl Shared {
    /// A daemon at `addr` with `cfg`, in `state`.
    pub(crate) fn new(addr: SocketAddr, cfg: Settings, state: State) -> Self {
        Self {
            addr,
            cfg,
            state: Mutex::new(state),
        }
    }

    /// The state (a panic in another handler does not lock the fake for good).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The state, with time-driven changes applied.
    pub(crate) fn lock_ticked(&self) -> MutexGuard<'_, State> {
        let mut st = self.lock();
        st.tick(&self.cfg);
        st
    }
}
