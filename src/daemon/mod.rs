//! Wiring: starts the stages receivers-first and stops them in reverse.
