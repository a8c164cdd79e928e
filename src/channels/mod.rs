//! Adapters between chat platforms and the assistant. They translate events in
//! and replies out; they decide nothing.

pub mod console;
pub mod discord;
pub mod split;
pub mod telegram;
