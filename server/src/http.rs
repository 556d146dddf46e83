//! The HTTP side shared by the API, the pages and the forms: the request
//! extractors ([`Caller`](crate::caller::Caller) from a token or the
//! session, [`Client`]) and errors as responses. The services never see
//! any of it.

pub mod error;
pub mod extract;

pub use extract::{Client, TrustedProxies};
