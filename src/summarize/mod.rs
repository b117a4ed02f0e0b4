//! Summaries: the alert text, written from the incident's facts alone.
