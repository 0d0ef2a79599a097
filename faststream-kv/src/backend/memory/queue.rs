//! The queue between the memory broker and one subscription: the subscriber takes the
//! messages in batches.
//!
//! A channel whose publisher and subscriber both touch a shared counter per message (as
//! tokio's mpsc does) moves that cache line between the two cores every time. When the
//! subscriber keeps up with the publisher, those transfers cost both sides more than
//! their own work, and the pair can settle in that slow state. Here the publisher
//! appends under a lock that the subscriber takes once per batch: it swaps its drained
//! buffer for everything queued, then reads alone.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker, ready};

use crate::message::Message;

/// A new queue: its sending end (kept by the broker) and its receiving end (the
/// subscription).
pub(crate) fn queue() -> (QueueSender, QueueReceiver) {
    let shared = Arc::new(Mutex::new(Shared {
        queued: VecDeque::new(),
        waker: None,
        sender_alive: true,
        receiver_alive: true,
    }));
    let sender = QueueSender {
        shared: Arc::clone(&shared),
    };
    let receiver = QueueReceiver {
        shared,
        batch: VecDeque::new(),
    };
    (sender, receiver)
}

/// Messages the drained buffer keeps room for (128 bytes each).
const KEPT_CAPACITY: usize = 1024;

struct Shared {
    queued: VecDeque<Message>,
    /// The subscriber's, while it waits for a message.
    waker: Option<Waker>,
    sender_alive: bool,
    receiver_alive: bool,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) struct QueueSender {
    shared: Arc<Mutex<Shared>>,
}

impl QueueSender {
    /// Queues `message`; gives it back if the subscription is gone.
    #[expect(
        clippy::result_large_err,
        reason = "the message goes back to the broker, which offers it to the next queue-group member; boxing it would allocate per publish"
    )]
    pub(crate) fn send(&self, message: Message) -> Result<(), Message> {
        let waker = {
            let mut shared = lock(&self.shared);
            if !shared.receiver_alive {
                return Err(message);
            }
            shared.queued.push_back(message);
            shared.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }
}

impl Drop for QueueSender {
    /// The subscription ends once it has read what is queued.
    fn drop(&mut self) {
        let waker = {
            let mut shared = lock(&self.shared);
            shared.sender_alive = false;
            shared.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

pub(crate) struct QueueReceiver {
    shared: Arc<Mutex<Shared>>,
    /// Taken from the queue, not yet read.
    batch: VecDeque<Message>,
}

impl QueueReceiver {
    /// The next message; `None` once the sender is gone and everything was read.
    ///
    /// Counts against tokio's cooperative budget like a tokio channel: a task reading a
    /// busy subscription still lets the others run.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Message>> {
        let progress = ready!(tokio::task::coop::poll_proceed(cx));
        if self.batch.is_empty() {
            // The drained buffer goes back, so that both keep their capacity; but not
            // what a burst made it grow to.
            self.batch.shrink_to(KEPT_CAPACITY);
            let mut shared = lock(&self.shared);
            std::mem::swap(&mut shared.queued, &mut self.batch);
            if self.batch.is_empty() {
                if !shared.sender_alive {
                    return Poll::Ready(None);
                }
                match &mut shared.waker {
                    Some(waker) if waker.will_wake(cx.waker()) => {}
                    waker => *waker = Some(cx.waker().clone()),
                }
                return Poll::Pending;
            }
        }
        progress.made_progress();
        Poll::Ready(self.batch.pop_front())
    }
}

impl Drop for QueueReceiver {
    /// Later messages are refused; those queued are dropped here.
    fn drop(&mut self) {
        let queued = {
            let mut shared = lock(&self.shared);
            shared.receiver_alive = false;
            shared.waker = None;
            std::mem::take(&mut shared.queued)
        };
        drop(queued);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;

    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn payload(received: Poll<Option<Message>>) -> Option<String> {
        match received {
            Poll::Ready(Some(message)) => Some(String::from_utf8_lossy(message.payload()).into()),
            Poll::Ready(None) => Some("<end>".into()),
            Poll::Pending => None,
        }
    }

    fn message(payload: &str) -> Message {
        Message::new("queue.test", payload.to_owned())
    }

    #[test]
    fn messages_arrive_in_order_across_batches_then_the_end() {
        let (sender, mut receiver) = queue();
        let woken = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&woken));
        let mut cx = Context::from_waker(&waker);
        assert_eq!(payload(receiver.poll_recv(&mut cx)), None);
        assert!(sender.send(message("1")).is_ok());
        assert!(sender.send(message("2")).is_ok());
        assert_eq!(
            woken.0.load(Ordering::SeqCst),
            1,
            "woken by the first send only"
        );
        assert_eq!(payload(receiver.poll_recv(&mut cx)).as_deref(), Some("1"));
        assert!(sender.send(message("3")).is_ok());
        assert_eq!(payload(receiver.poll_recv(&mut cx)).as_deref(), Some("2"));
        drop(sender);
        assert_eq!(payload(receiver.poll_recv(&mut cx)).as_deref(), Some("3"));
        assert_eq!(
            payload(receiver.poll_recv(&mut cx)).as_deref(),
            Some("<end>")
        );
    }

    #[test]
    fn buffers_do_not_keep_what_a_burst_made_them_grow_to() {
        let (sender, mut receiver) = queue();
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        for _ in 0..10 * KEPT_CAPACITY {
            assert!(sender.send(message("burst")).is_ok());
        }
        for _ in 0..10 * KEPT_CAPACITY {
            assert!(payload(receiver.poll_recv(&mut cx)).is_some());
        }
        assert_eq!(payload(receiver.poll_recv(&mut cx)), None);
        assert!(lock(&receiver.shared).queued.capacity() <= KEPT_CAPACITY);
        assert!(receiver.batch.capacity() <= KEPT_CAPACITY);
    }

    #[test]
    fn a_waiting_receiver_is_woken_when_the_sender_goes() {
        let (sender, mut receiver) = queue();
        let woken = Arc::new(CountingWaker::default());
        let waker = Waker::from(Arc::clone(&woken));
        let mut cx = Context::from_waker(&waker);
        assert_eq!(payload(receiver.poll_recv(&mut cx)), None);
        drop(sender);
        assert_eq!(woken.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            payload(receiver.poll_recv(&mut cx)).as_deref(),
            Some("<end>")
        );
    }

    #[test]
    fn sends_after_the_receiver_is_gone_give_the_message_back() {
        let (sender, receiver) = queue();
        drop(receiver);
        let returned = sender.send(message("late")).err();
        assert_eq!(
            returned.map(|message| message.payload().clone()),
            Some("late".into())
        );
    }
}
