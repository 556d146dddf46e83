//! Old paths of what `caller` and `services::accounts` now hold, kept only
//! for code that still names them: the list engine (`services/list*`),
//! `services/generate.rs` and the benchmarks, which are being changed on
//! another branch. Nothing else uses this module; new code names
//! `crate::caller` and `services::accounts` directly. Remove it once those
//! files do too.

pub use crate::caller::{Caller, Role};
pub use crate::services::accounts::authenticate_token as authenticate_with_db;
