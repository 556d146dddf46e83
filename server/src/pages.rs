//! The page data, served by the same services as the REST API. Pages are
//! rendered for anonymous visitors until sign-in arrives with the website.

use app::data::{CatalogData, DataError};
use app::models::{ArtifactCard, TypeListing, TypeSummary};
use serde_json::Value;

use crate::auth::Caller;
use crate::error::AppError;
use crate::services::{Catalog, list};

pub struct PageData {
    pub catalog: Catalog,
}

fn log(e: AppError) -> DataError {
    tracing::error!(error = ?e, "page data failed");
    DataError
}

fn card(v: &Value) -> ArtifactCard {
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let icon_url = v.get("icon").and_then(|i| {
        let url = i.get("url")?.as_str()?;
        let external = i.get("external").and_then(Value::as_bool).unwrap_or(false);
        Some(if external {
            url.to_owned()
        } else {
            format!("/api/v1{url}")
        })
    });
    ArtifactCard {
        id: s("id"),
        type_name: s("type_name"),
        name: s("name"),
        version: s("version"),
        description: v
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        owner: s("owner"),
        icon_url,
        tags: v
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        updated_at: s("updated_at").get(..10).unwrap_or_default().to_owned(),
    }
}

impl PageData {
    async fn summary(&self, name: &str) -> Result<Option<TypeSummary>, AppError> {
        let Some(ty) = self.catalog.types.get(name) else {
            return Ok(None);
        };
        let page = list::list(
            &self.catalog,
            &Caller::Anonymous,
            name,
            &[("limit".into(), "1".into())],
        )
        .await?;
        Ok(Some(TypeSummary {
            name: ty.def.name.clone(),
            display_name: ty.def.display_name.clone(),
            description: ty.def.description.clone(),
            public_count: page.total_count,
        }))
    }
}

#[async_trait::async_trait]
impl CatalogData for PageData {
    async fn type_summaries(&self) -> Result<Vec<TypeSummary>, DataError> {
        let mut out = Vec::new();
        for ty in self.catalog.types.all() {
            if let Some(s) = self.summary(ty.name()).await.map_err(log)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    async fn public_listing(
        &self,
        type_name: &str,
        marker: Option<String>,
    ) -> Result<Option<TypeListing>, DataError> {
        let Some(summary) = self.summary(type_name).await.map_err(log)? else {
            return Ok(None);
        };
        let mut params = vec![("limit".to_owned(), "24".to_owned())];
        if let Some(m) = marker {
            params.push(("marker".to_owned(), m));
        }
        let page = match list::list(&self.catalog, &Caller::Anonymous, type_name, &params).await {
            Ok(p) => p,
            // A stale or foreign marker: the listing has no such page.
            Err(AppError::BadRequest(_)) => return Ok(None),
            Err(e) => return Err(log(e)),
        };
        let next_marker = page
            .next
            .as_ref()
            .and(page.artifacts.last())
            .and_then(|a| a.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(Some(TypeListing {
            summary,
            total: page.total_count,
            artifacts: page.artifacts.iter().map(card).collect(),
            next_marker,
        }))
    }
}
