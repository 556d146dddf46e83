//! appcat: an application and artifact catalog. The `appcat` binary is in
//! `main.rs`; this library holds the REST API, services, storage and CLI so
//! that tests and benchmarks drive the same code.

pub mod api;
pub mod caller;
pub mod cli;
pub mod config;
pub mod db;
pub mod entities;
pub mod error;
pub mod headers;
pub mod http;
pub mod input;
pub mod oidc;
pub mod pages;
pub mod router;
pub mod serve;
pub mod services;
pub mod state;
pub mod storage;
pub mod types;
pub mod version;
pub mod web;

pub use router::app;
pub use state::AppState;
