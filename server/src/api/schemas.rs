//! `GET /schemas`, `GET /schemas/{type_name}`: the JSON Schema of each type.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use crate::error::{AppResult, not_found};
use crate::services::Catalog;
use crate::types::registry::ALL;
use crate::types::schema::type_schema;

fn all_schema(catalog: &Catalog) -> Value {
    // The virtual `all` type: only the fields every artifact has.
    let generic: Vec<&str> = catalog
        .types
        .generic_fields()
        .keys()
        .map(String::as_str)
        .collect();
    json!({
        "name": ALL,
        "title": "All artifacts (read-only view across types)",
        "version": "1.0.0",
        "display_type_name": "All artifacts",
        "type": "object",
        "readOnly": true,
        "generic_fields": generic,
    })
}

fn respond(schemas: Map<String, Value>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/schema+json")],
        axum::Json(json!({ "schemas": schemas })),
    )
}

/// JSON Schemas of every artifact type.
#[utoipa::path(
    get, path = "/api/v1/schemas", tag = "schemas", operation_id = "schema_list",
    responses((status = 200, description = "`{\"schemas\": {type: schema}}`", content_type = "application/schema+json", body = Object))
)]
pub async fn list(State(catalog): State<Catalog>) -> impl IntoResponse {
    let mut schemas = Map::new();
    for ty in catalog.types.all() {
        schemas.insert(ty.name().to_owned(), type_schema(ty));
    }
    schemas.insert(ALL.to_owned(), all_schema(&catalog));
    respond(schemas)
}

/// JSON Schema of one artifact type.
#[utoipa::path(
    get, path = "/api/v1/schemas/{type_name}", tag = "schemas", operation_id = "schema_show",
    params(("type_name" = String, Path, description = "Artifact type, e.g. `heat_templates`")),
    responses(
        (status = 200, description = "`{\"schemas\": {type: schema}}`", content_type = "application/schema+json", body = Object),
        (status = 404, description = "Unknown type", body = crate::error::ErrorBody)
    )
)]
pub async fn show(
    State(catalog): State<Catalog>,
    Path(type_name): Path<String>,
) -> AppResult<impl IntoResponse> {
    let mut schemas = Map::new();
    if type_name == ALL {
        schemas.insert(ALL.to_owned(), all_schema(&catalog));
    } else {
        let ty = catalog
            .types
            .get(&type_name)
            .ok_or_else(|| not_found(format!("artifact type '{type_name}' does not exist")))?;
        schemas.insert(type_name, type_schema(&ty));
    }
    Ok(respond(schemas))
}
