//! The queue: one run at a time on this server (2 cores; the prebuilt
//! workspace's refresh takes the same turn), runs served in arrival order,
//! one run at a time per page (409), at most `cap` waiting (503). A run whose
//! client leaves while it waits is dropped: it never starts.
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::request::{refuse, Refusal};

pub struct Queue {
    turn: Arc<Semaphore>,
    state: Mutex<State>,
    cap: usize,
}

#[derive(Default)]
struct State {
    waiting: usize,
    pages: HashSet<String>,
}

/// A run's place: frees its page (and its place in line) when dropped.
pub struct Ticket {
    queue: Arc<Queue>,
    page: String,
    waiting: bool,
}

impl Queue {
    pub fn new(cap: usize) -> Arc<Queue> {
        Arc::new(Queue {
            turn: Arc::new(Semaphore::new(1)),
            state: Mutex::new(State::default()),
            cap,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place in line for a run of `page`, and how many runs are ahead.
    pub fn admit(self: &Arc<Self>, page: &str) -> Result<(Ticket, usize), Refusal> {
        let mut s = self.state();
        if s.pages.contains(page) {
            return Err(refuse(
                StatusCode::CONFLICT,
                "this page is already running a program: wait for it to end",
            ));
        }
        if s.waiting >= self.cap {
            return Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the runner is busy with other runs; try again in a few seconds",
            ));
        }
        let ahead = s.pages.len();
        s.waiting += 1;
        s.pages.insert(page.to_string());
        Ok((Ticket { queue: Arc::clone(self), page: page.to_string(), waiting: true }, ahead))
    }

    /// The machine's turn, for work that is not a page's run (preparing
    /// the workspace, warming the caches).
    pub async fn exclusive(&self) -> OwnedSemaphorePermit {
        Arc::clone(&self.turn)
            .acquire_owned()
            .await
            .unwrap_or_else(|_| unreachable!("the queue's semaphore is never closed"))
    }
}

impl Ticket {
    /// Waits for this run's turn (cancelled if the future is dropped: a
    /// gone client's run leaves the line).
    pub async fn turn(&mut self) -> OwnedSemaphorePermit {
        let permit = self.queue.exclusive().await;
        if self.waiting {
            self.waiting = false;
            self.queue.state().waiting -= 1;
        }
        permit
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut s = self.queue.state();
        s.pages.remove(&self.page);
        if self.waiting {
            s.waiting -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_per_page_and_a_bounded_line() {
        let q = Queue::new(2);
        let (a, ahead) = q.admit("a").unwrap();
        assert_eq!(ahead, 0);
        assert_eq!(q.admit("a").err().unwrap().status, StatusCode::CONFLICT);
        let (_b, ahead) = q.admit("b").unwrap();
        assert_eq!(ahead, 1);
        assert_eq!(q.admit("c").err().unwrap().status, StatusCode::SERVICE_UNAVAILABLE);
        drop(a);
        assert!(q.admit("a").is_ok());
    }
}
