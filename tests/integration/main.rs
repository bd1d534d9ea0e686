//! Daemon tests: the built `dockrun` against the real Docker Engine. With no engine answering they
//! fail, saying how to start one; they never skip.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod corpus;
mod differential;
mod differential_resources;
mod drift;
mod engines;
mod launcher;
mod quadlet;
mod reach;
mod replace;
mod requests;
mod silent;
mod supervise;
mod support;
mod systemd;
mod update;
mod upgrade;
