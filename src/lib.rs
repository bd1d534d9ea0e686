//! dockrun as a library: the pipeline's modules, used by the `dockrun` binary (`main.rs`) and by
//! the fuzz targets. The order below is the order data flows through them.

pub mod app;
pub mod cidfile;
pub mod cli;
pub mod drift;
pub mod engine;
pub mod ensure;
pub mod env_vars;
pub mod error;
pub mod exit;
pub mod generate;
pub mod logging;
pub mod notify;
pub mod output;
pub mod plan;
pub mod progress;
pub mod quadlet;
#[cfg(test)]
mod scripted;
pub mod spec;
pub mod state;
pub mod supervise;
pub mod terminal;
pub mod unit;
pub mod update;
