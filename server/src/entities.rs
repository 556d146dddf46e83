//! sea-orm entities, one per table of `migrations/`. Views returned by the API
//! live in `api/` and `services/`; these types never leave the server.

pub mod api_token;
pub mod artifact;
pub mod artifact_blob;
pub mod artifact_member;
pub mod artifact_property;
pub mod artifact_type;
pub mod daily_count;
pub mod listing_request;
pub mod membership;
pub mod moderation_log;
pub mod rating;
pub mod review;
pub mod review_report;
pub mod session;
pub mod sign_in_throttle;
pub mod tenant;
pub mod user;
pub mod user_identity;
