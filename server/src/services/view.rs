//! What the services answer about an artifact: its base fields typed, its
//! type's fields, links and blobs as the JSON values they hold. The REST API
//! serialises an [`ArtifactView`] as Glare's artifact object (base fields,
//! then every field, blob and link of the type, null when unset).

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::entities::artifact;

/// An artifact's life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Drafted,
    Active,
    Deactivated,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Drafted, Status::Active, Status::Deactivated];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Drafted => super::access::DRAFTED,
            Status::Active => super::access::ACTIVE,
            Status::Deactivated => super::access::DEACTIVATED,
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Who may read an artifact (with its members, for `Shared`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    Private,
    Shared,
    Public,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [Visibility::Private, Visibility::Shared, Visibility::Public];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => super::access::PRIVATE,
            Visibility::Shared => super::access::SHARED,
            Visibility::Public => super::access::PUBLIC,
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        Visibility::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One artifact as a caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactView {
    pub id: String,
    pub name: String,
    pub version: String,
    pub type_name: String,
    pub display_type_name: String,
    pub type_version: String,
    pub owner: String,
    pub created_by: Option<String>,
    pub visibility: Visibility,
    pub status: Status,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub downloads: i64,
    /// The average of public ratings in stars; `None` when unrated.
    pub rating: Option<f64>,
    pub rating_count: i32,
    /// Every field, link and blob of the type, in the type's order.
    pub fields: Map<String, Value>,
}

impl ArtifactView {
    /// The base fields of a row; the type's fields are added by the caller.
    pub fn base(m: &artifact::Model, display_type_name: &str) -> ArtifactView {
        ArtifactView {
            id: m.id.clone(),
            name: m.name.clone(),
            version: m.version.clone(),
            type_name: m.type_name.clone(),
            display_type_name: display_type_name.to_owned(),
            type_version: m.type_version.clone(),
            owner: m.owner.clone(),
            created_by: m.created_by.clone(),
            // Rows hold only the values the services write.
            visibility: Visibility::parse(&m.visibility).unwrap_or(Visibility::Private),
            status: Status::parse(&m.status).unwrap_or(Status::Drafted),
            description: m.description.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
            activated_at: m.activated_at,
            downloads: m.downloads,
            rating: (m.rating_count > 0).then(|| f64::from(m.rating_score) / 100.0),
            rating_count: m.rating_count,
            fields: Map::new(),
        }
    }

    /// A field, link or blob of the type.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }

    /// Glare's JSON object.
    pub fn to_json(&self) -> Value {
        let ts = |t: &DateTime<Utc>| super::artifacts::timestamp(t);
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        out.insert("name".into(), json!(self.name));
        out.insert("version".into(), json!(self.version));
        out.insert("type_name".into(), json!(self.type_name));
        out.insert("display_type_name".into(), json!(self.display_type_name));
        out.insert("type_version".into(), json!(self.type_version));
        out.insert("owner".into(), json!(self.owner));
        out.insert("created_by".into(), json!(self.created_by));
        out.insert("visibility".into(), json!(self.visibility.as_str()));
        out.insert("status".into(), json!(self.status.as_str()));
        out.insert("description".into(), json!(self.description));
        out.insert("created_at".into(), json!(ts(&self.created_at)));
        out.insert("updated_at".into(), json!(ts(&self.updated_at)));
        out.insert(
            "activated_at".into(),
            json!(self.activated_at.as_ref().map(ts)),
        );
        out.insert("downloads".into(), json!(self.downloads));
        out.insert("rating".into(), json!(self.rating));
        out.insert("rating_count".into(), json!(self.rating_count));
        for (k, v) in &self.fields {
            out.insert(k.clone(), v.clone());
        }
        Value::Object(out)
    }
}

impl Serialize for ArtifactView {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_visibility_round_trip_their_names() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for v in Visibility::ALL {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
        }
        assert_eq!(Status::parse("deleted"), None);
        assert_eq!(Visibility::parse("Public"), None);
    }
}
