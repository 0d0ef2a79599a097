//! async-nats's connection events, as ours: reconnects told from first connects, and
//! slow-consumer drops (one event per dropped message from the client) summed up to at
//! most one report a second per subscription.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_nats::Event;

use super::sessions::Sessions;
use crate::backend::events::Events;
use crate::connection_event::ConnectionEvent;

/// How often a subscription's drops are reported.
const SLOW_CONSUMER_REPORTS: Duration = Duration::from_secs(1);

/// Turns the client's events into ours.
#[derive(Clone)]
pub(super) struct EventTranslator {
    events: Events,
    sessions: Sessions,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    disconnected: bool,
    /// Per subscription: when its drops were last reported, and how many came since.
    drops: HashMap<u64, (Instant, u64)>,
}

impl EventTranslator {
    pub(super) fn new(events: Events, sessions: Sessions) -> Self {
        Self {
            events,
            sessions,
            state: Arc::default(),
        }
    }

    pub(super) fn translate(&self, event: Event) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let ours = match event {
            Event::Connected if state.disconnected => {
                state.disconnected = false;
                ConnectionEvent::Reconnected
            }
            Event::Connected => ConnectionEvent::Connected,
            Event::Disconnected => {
                state.disconnected = true;
                self.sessions.lost();
                ConnectionEvent::Disconnected
            }
            Event::LameDuckMode => ConnectionEvent::LameDuck,
            Event::Draining => return,
            Event::Closed => ConnectionEvent::Closed,
            Event::SlowConsumer(subscription) => {
                let Some(dropped) = state.dropped(subscription, Instant::now()) else {
                    return;
                };
                ConnectionEvent::SlowConsumer {
                    subscription: format!("client subscription {subscription}"),
                    dropped_messages: dropped,
                    dropped_bytes: 0,
                }
            }
            Event::ServerError(error) => ConnectionEvent::ServerError {
                message: error.to_string(),
            },
            Event::ClientError(error) => ConnectionEvent::ClientError {
                message: error.to_string(),
            },
        };
        drop(state);
        self.events.report(ours);
    }
}

impl State {
    /// One more drop for `subscription`: the count to report now, if a report is due.
    fn dropped(&mut self, subscription: u64, now: Instant) -> Option<u64> {
        let (reported, count) = self
            .drops
            .entry(subscription)
            .or_insert((now - SLOW_CONSUMER_REPORTS, 0));
        *count += 1;
        if now.duration_since(*reported) < SLOW_CONSUMER_REPORTS {
            return None;
        }
        *reported = now;
        Some(std::mem::take(count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_summed_up_to_one_report_a_second() {
        let mut state = State::default();
        let start = Instant::now() + SLOW_CONSUMER_REPORTS;
        assert_eq!(
            state.dropped(7, start),
            Some(1),
            "the first drop is reported"
        );
        for _ in 0..5 {
            assert_eq!(state.dropped(7, start + Duration::from_millis(10)), None);
        }
        assert_eq!(state.dropped(9, start), Some(1), "per subscription");
        let later = start + SLOW_CONSUMER_REPORTS;
        assert_eq!(
            state.dropped(7, later),
            Some(6),
            "five held back and this one"
        );
    }

    #[test]
    fn a_connect_after_a_disconnect_is_a_reconnect_in_a_new_session() {
        let events = Events::default();
        let mut listener = events.subscribe();
        let sessions = Sessions::default();
        let translator = EventTranslator::new(events, sessions.clone());
        for event in [Event::Connected, Event::Disconnected, Event::Connected] {
            translator.translate(event);
        }
        assert_eq!(sessions.current(), 1, "a session ends with its connection");
        let seen: Vec<ConnectionEvent> = std::iter::from_fn(|| listener.try_recv().ok()).collect();
        assert_eq!(
            seen,
            [
                ConnectionEvent::Connected,
                ConnectionEvent::Disconnected,
                ConnectionEvent::Reconnected
            ]
        );
    }
}
