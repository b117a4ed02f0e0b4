//! Builds the daemon's stages from a validated configuration.
