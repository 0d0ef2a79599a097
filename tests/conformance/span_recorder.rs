//! A `tracing` subscriber recording the `message` spans opened at or above a level
//! (their level, handler and `trace_id`), and the events logged at or above it (their
//! level, and their fields as `name=value` after the message).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata};

/// A `message` span as it was opened and recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenSpan {
    pub level: Level,
    pub handler: String,
    pub trace_id: Option<String>,
}

/// Records the `message` spans opened at or above `max`.
#[derive(Clone)]
pub struct SpanRecorder {
    max: Level,
    seen: Arc<Mutex<Vec<SeenSpan>>>,
    events: Arc<Mutex<Vec<(Level, String)>>>,
    /// The index in `seen` of each recorded span's id.
    index: Arc<Mutex<HashMap<u64, usize>>>,
    next_id: Arc<AtomicU64>,
}

impl SpanRecorder {
    pub fn new(max: Level) -> Self {
        Self {
            max,
            seen: Arc::default(),
            events: Arc::default(),
            index: Arc::default(),
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    pub fn seen(&self) -> Vec<SeenSpan> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The events logged, as `(level, "message name=value ...")`.
    pub fn events(&self) -> Vec<(Level, String)> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Writes an event's fields, its message first.
#[derive(Default)]
struct EventText {
    message: String,
    fields: String,
}

impl Visit for EventText {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields
                .push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

/// Reads the fields a `message` span sets.
struct Fields<'a>(&'a mut SeenSpan);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "handler" => self.0.handler = format!("{value:?}"),
            "trace_id" => self.0.trace_id = Some(format!("{value:?}")),
            _ => {}
        }
    }
}

impl tracing::Subscriber for SpanRecorder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= self.max
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if span.metadata().name() == "message" {
            let mut seen = SeenSpan {
                level: *span.metadata().level(),
                handler: String::new(),
                trace_id: None,
            };
            span.record(&mut Fields(&mut seen));
            let mut all = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            self.index
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(id, all.len());
            all.push(seen);
        }
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let index = self.index.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&at) = index.get(&span.into_u64()) {
            let mut all = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            values.record(&mut Fields(&mut all[at]));
        }
    }

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = EventText::default();
        event.record(&mut text);
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((*event.metadata().level(), text.message + &text.fields));
    }
    fn enter(&self, _span: &Id) {}
    fn exit(&self, _span: &Id) {}
}
