//! The website: Leptos components and pages, the typed models they show, and
//! the server functions that fetch them. Rendered on the server (feature
//! `ssr`) and hydrated in the browser (feature `hydrate`).

pub mod models;
pub mod routes;
pub mod server_fns;
pub mod ui;
pub mod urls;

#[cfg(feature = "hydrate")]
pub mod upload;

#[cfg(feature = "ssr")]
pub mod data;

pub use routes::{App, shell};
