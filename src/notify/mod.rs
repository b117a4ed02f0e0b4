//! Notifiers, the durable outbox and delivery with retries.
