//! Artifact types as plugins: definition files (TOML) read at start from the
//! built-in set compiled into the binary and from `APPCAT_TYPES_DIR`, checked,
//! and reconciled with the versions recorded in the database.

pub mod definition;
pub mod registry;
pub mod schema;
pub mod validate;

pub use definition::{
    BlobDef, FieldDef, FieldKind, FilterOp, LinkDef, Multiplicity, TypeDefinition,
};
pub use registry::TypeRegistry;
