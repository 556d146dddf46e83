//! The page data, served by the same services as the REST API, as the same
//! caller (the session's user, or anonymous). Browse pages show the public
//! catalog; detail pages show whatever the caller may see.

mod space;

use std::sync::Arc;

use app::data::{CatalogData, DataError, Request};
use app::models::{
    AdminOverview, ArtifactCard, ArtifactDetail, ArtifactRef, DependencyInfo, Facet, FacetValue,
    Gate, ListingQuery, ManagedArtifact, SessionInfo, Space, TokensPage, TypeForm, TypeListing,
    TypeSummary, VersionLink,
};
use serde_json::Value;

use crate::caller::Caller;
use crate::error::AppError;
use crate::services::access::{self, Action, Subject};
use crate::services::list::{FacetOf, Filter, ListQuery, SortOrder};
use crate::services::{Catalog, deps, list, markdown};
use crate::types::FilterOp;

pub struct PageData {
    pub catalog: Catalog,
    pub web: Arc<crate::state::Web>,
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
        title: v
            .get("display_name")
            .and_then(Value::as_str)
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| s("name")),
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
        rating: v.get("rating").and_then(Value::as_f64),
        rating_count: v.get("rating_count").and_then(Value::as_u64).unwrap_or(0),
        downloads: v.get("downloads").and_then(Value::as_u64).unwrap_or(0),
    }
}

impl PageData {
    async fn summary(&self, name: &str) -> Result<Option<TypeSummary>, AppError> {
        if name == crate::types::registry::ALL {
            let page = list::list(
                &self.catalog,
                &Caller::Anonymous,
                &ListQuery::new(name).limit(1),
            )
            .await?;
            return Ok(Some(TypeSummary {
                name: name.to_owned(),
                display_name: "All apps".to_owned(),
                description: "Every public artifact, of every type.".to_owned(),
                public_count: page.total_count,
            }));
        }
        let Some(ty) = self.catalog.types.get(name) else {
            return Ok(None);
        };
        let page = list::list(
            &self.catalog,
            &Caller::Anonymous,
            &ListQuery::new(name).limit(1),
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
        query: ListingQuery,
    ) -> Result<Option<TypeListing>, DataError> {
        let Some(summary) = self.summary(type_name).await.map_err(log)? else {
            return Ok(None);
        };
        // The page's query as list filters (facet values are matched
        // exactly), each with the page parameter it comes from.
        let mut filters: Vec<(&str, Filter)> = Vec::new();
        if let Some(q) = &query.q {
            filters.push(("q", Filter::Text(q.clone())));
        }
        if let Some(kind) = query
            .kind
            .as_ref()
            .filter(|_| type_name == crate::types::registry::ALL)
        {
            filters.push(("kind", Filter::field("type_name", FilterOp::Eq, kind)));
        }
        if let Some(tag) = &query.tag {
            filters.push(("tag", Filter::Tags(vec![tag.replace('"', "")])));
        }
        if let Some(license) = &query.license {
            filters.push(("license", Filter::field("license", FilterOp::Eq, license)));
        }
        if let Some(release) = &query.release {
            filters.push(("release", Filter::field("release", FilterOp::Eq, release)));
        }
        if let Some(provider) = &query.provider {
            filters.push((
                "provider",
                Filter::field("provided_by.company", FilterOp::Eq, provider),
            ));
        }
        if let Some(req) = &query.req {
            filters.push(("req", Filter::VersionSpec(req.clone())));
        }
        if let Some(min) = &query.min_rating {
            filters.push(("min_rating", Filter::field("rating", FilterOp::Gte, min)));
        }
        let over = |skip: &str| {
            let mut q = ListQuery::new(type_name);
            q.filters = filters
                .iter()
                .filter(|(k, _)| *k != skip)
                .map(|(_, f)| f.clone())
                .collect();
            q
        };
        let mut listing = over("").limit(24).marker(query.marker.clone());
        let searching = query.q.as_deref().is_some_and(|q| !q.trim().is_empty());
        match query.sort.as_deref() {
            Some("name") => listing = listing.sort("name", SortOrder::Asc),
            Some("updated") => listing = listing.sort("updated_at", SortOrder::Desc),
            Some("rating") => {
                listing = listing
                    .sort("rating", SortOrder::Desc)
                    .sort("rating_count", SortOrder::Desc)
            }
            Some("downloads") => listing = listing.sort("downloads", SortOrder::Desc),
            Some("relevance") if searching => listing = listing.sort("relevance", SortOrder::Desc),
            Some("newest") | Some("relevance") | None => {}
            Some(_) => {
                return Ok(Some(refused(
                    summary,
                    "sort is one of name, newest, updated, rating, downloads, relevance".to_owned(),
                )));
            }
        };
        let page = match list::list(&self.catalog, &Caller::Anonymous, &listing).await {
            Ok(p) => p,
            // An invalid version requirement, a stale or foreign marker, a
            // query too long: the page says why (and answers 400).
            Err(AppError::BadRequest(why)) => return Ok(Some(refused(summary, why))),
            Err(e) => return Err(log(e)),
        };
        let next_marker = page.next_marker.clone();
        let mut wanted: Vec<(&str, &str, FacetOf, &Option<String>)> = vec![
            (
                "tag",
                "Tags",
                FacetOf::Field {
                    name: "tags".into(),
                    key: String::new(),
                },
                &query.tag,
            ),
            (
                "license",
                "License",
                FacetOf::Field {
                    name: "license".into(),
                    key: String::new(),
                },
                &query.license,
            ),
            (
                "release",
                "OpenStack release",
                FacetOf::Field {
                    name: "release".into(),
                    key: String::new(),
                },
                &query.release,
            ),
            (
                "provider",
                "Provider",
                FacetOf::Field {
                    name: "provided_by".into(),
                    key: "company".into(),
                },
                &query.provider,
            ),
        ];
        if type_name == crate::types::registry::ALL {
            wanted.insert(0, ("kind", "Type", FacetOf::Type, &query.kind));
        }
        // Each facet counts over the other filters, so its own values stay
        // visible while one is selected.
        let asked: Vec<list::FacetQuery> = wanted
            .iter()
            .map(|(param, _, of, _)| list::FacetQuery {
                of: of.clone(),
                over: over(param),
                limit: 12,
            })
            .collect();
        let counted = list::facets(&self.catalog, &Caller::Anonymous, &asked)
            .await
            .map_err(log)?;
        let facets = wanted
            .into_iter()
            .zip(counted)
            .map(|((param, label, _, selected), counts)| Facet {
                param: param.to_owned(),
                label: label.to_owned(),
                values: counts
                    .into_iter()
                    .map(|(value, count)| FacetValue {
                        selected: selected.as_deref() == Some(value.as_str()),
                        value,
                        count,
                    })
                    .collect(),
            })
            .collect();
        Ok(Some(TypeListing {
            summary,
            total: page.total_count,
            artifacts: page.artifacts.iter().map(|a| card(&a.to_json())).collect(),
            next_marker,
            facets,
            error: None,
        }))
    }

    async fn artifact_detail(
        &self,
        req: &Request,
        type_name: &str,
        name: &str,
        version: Option<String>,
        reviews_page: Option<u64>,
    ) -> Result<Option<ArtifactDetail>, DataError> {
        let caller = self.caller(req).await.map_err(log)?;
        let found = self
            .detail(&caller, type_name, name, version)
            .await
            .map_err(log)?;
        let Some((mut d, visibility)) = found else {
            return Ok(None);
        };
        // A view is a page render (GET) or the server function a hydrated
        // page calls (POST); never a HEAD.
        let client = crate::http::Client::from_parts(req);
        if client.method != axum::http::Method::HEAD {
            self.catalog.counter.hit(
                crate::services::stats::Kind::View,
                &d.id,
                &client.key(&caller),
            );
        }
        let subject = Subject::new(&d.owner, &d.status, visibility);
        d.community = self
            .community(&caller, &d, subject, reviews_page.unwrap_or(1))
            .await
            .map_err(log)?;
        Ok(Some(d))
    }

    async fn session_info(&self, req: &Request) -> Result<SessionInfo, DataError> {
        self.session_info_of(req).await.map_err(log)
    }

    async fn space(&self, req: &Request) -> Result<Gate<Space>, DataError> {
        self.space_of(req).await.map_err(log)
    }

    async fn type_form(&self, req: &Request, type_name: &str) -> Result<Gate<TypeForm>, DataError> {
        self.type_form_of(req, type_name).await.map_err(log)
    }

    async fn managed_artifact(
        &self,
        req: &Request,
        type_name: &str,
        id: &str,
    ) -> Result<Gate<ManagedArtifact>, DataError> {
        self.managed_of(req, type_name, id).await.map_err(log)
    }

    async fn tokens(&self, req: &Request) -> Result<Gate<TokensPage>, DataError> {
        self.tokens_of(req).await.map_err(log)
    }

    async fn admin(&self, req: &Request) -> Result<Gate<AdminOverview>, DataError> {
        self.admin_of(req).await.map_err(log)
    }
}

/// A listing that could not be answered, with the reason the page shows.
fn refused(summary: TypeSummary, why: String) -> TypeListing {
    TypeListing {
        summary,
        artifacts: vec![],
        total: 0,
        next_marker: None,
        facets: vec![],
        error: Some(why),
    }
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(", "),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{k}: {}", text_of(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn dict_pairs(v: &Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), text_of(v))).collect())
        .unwrap_or_default()
}

/// How to use an artifact of this type, from its fields.
fn install_hint(v: &Value) -> Option<String> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let name = s("name");
    let q = |x: &str| format!("'{}'", x.replace('\'', "'\\''"));
    match s("type_name").as_str() {
        "images" => {
            let mut cmd = String::from("openstack image create");
            if !s("disk_format").is_empty() {
                cmd.push_str(&format!(" --disk-format {}", s("disk_format")));
            }
            if !s("container_format").is_empty() {
                cmd.push_str(&format!(" --container-format {}", s("container_format")));
            }
            if let Some(n) = v.get("min_ram").and_then(Value::as_i64) {
                cmd.push_str(&format!(" --min-ram {n}"));
            }
            if let Some(n) = v.get("min_disk").and_then(Value::as_i64) {
                cmd.push_str(&format!(" --min-disk {n}"));
            }
            Some(format!("{cmd} --file <downloaded image> {}", q(&name)))
        }
        "murano_packages" => Some(format!("murano package-import {}", q(&name))),
        "bundles" => {
            let package = s("package_name");
            Some(format!(
                "murano bundle-import {}",
                q(if package.is_empty() { &name } else { &package })
            ))
        }
        "heat_templates" => Some(format!(
            "openstack stack create --template <downloaded template> {}",
            q(&name)
        )),
        "tosca_templates" => Some(
            "heat-translator --template-file <downloaded template> --template-type tosca"
                .to_owned(),
        ),
        "heat_environments" => {
            Some("openstack stack create --environment <downloaded environment> …".to_owned())
        }
        _ => None,
    }
}

impl PageData {
    async fn detail(
        &self,
        caller: &Caller,
        type_name: &str,
        name: &str,
        version: Option<String>,
    ) -> Result<Option<(ArtifactDetail, &'static str)>, AppError> {
        let Some(ty) = self.catalog.types.get(type_name) else {
            return Ok(None);
        };
        let newest = || {
            ListQuery::new(type_name)
                .eq("name", name)
                .sort("version", SortOrder::Desc)
                .limit(1)
        };
        let version_given = version.clone();
        let wanted = match version {
            Some(v) => newest().eq("version", v),
            None => newest().filter(Filter::Latest),
        };
        let page = match list::list(&self.catalog, caller, &wanted).await {
            Ok(p) => p,
            Err(AppError::BadRequest(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut found = page.artifacts.into_iter().next();
        if found.is_none() && version_given.is_none() {
            // Only pre-releases published: show the newest of those.
            found = list::list(&self.catalog, caller, &newest())
                .await?
                .artifacts
                .into_iter()
                .next();
        }
        let Some(found) = found else {
            return Ok(None);
        };
        let id = found.id.clone();
        let owner = found.owner.clone();
        let current = found.version.clone();
        let visibility = found.visibility.as_str();
        let v = found.to_json();
        let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();

        let versions_page = list::list(
            &self.catalog,
            caller,
            &ListQuery::new(type_name)
                .eq("name", name)
                .eq("owner", owner.clone())
                .sort("version", SortOrder::Desc)
                .limit(100),
        )
        .await?;
        let versions = versions_page
            .artifacts
            .iter()
            .map(|a| VersionLink {
                current: a.version == current,
                version: a.version.clone(),
            })
            .collect();

        let mut blobs = Vec::new();
        for (field, def) in &ty.blobs {
            if field == "icon" {
                continue;
            }
            let entries: Vec<(String, &Value)> = match v.get(field) {
                Some(Value::Object(o)) if def.dict => {
                    o.iter().map(|(k, b)| (format!("{field}/{k}"), b)).collect()
                }
                Some(b @ Value::Object(_)) => vec![(field.clone(), b)],
                _ => vec![],
            };
            for (label, b) in entries {
                blobs.push(space::blob_info(label, b));
            }
        }

        let graph = deps::graph(&self.catalog, caller, type_name, &id).await?;
        let dependencies = graph
            .edges
            .iter()
            .filter(|e| e.from == id)
            .map(|e| DependencyInfo {
                field: e.field.clone(),
                requirement: match &e.requirement {
                    Value::Object(o) => {
                        let n = o.get("name").and_then(Value::as_str).unwrap_or("");
                        match o
                            .get("version")
                            .and_then(Value::as_str)
                            .filter(|r| !r.is_empty())
                        {
                            Some(r) => format!("{n} {r}"),
                            None => n.to_owned(),
                        }
                    }
                    other => text_of(other),
                },
                status: serde_json::to_value(e.status)
                    .ok()
                    .and_then(|s| s.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                target: e.to.as_ref().map(|t| ArtifactRef {
                    type_name: t.type_name.clone(),
                    name: t.name.clone(),
                    version: t.version.clone(),
                }),
                implicit: e.implicit,
                source: e
                    .source
                    .and_then(|s| serde_json::to_value(s).ok())
                    .and_then(|s| s.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                owner: e.to.as_ref().map(|t| t.owner.clone()),
            })
            .collect();
        let dependents = deps::dependents(&self.catalog, caller, type_name, &id)
            .await?
            .into_iter()
            .map(|(n, _)| ArtifactRef {
                type_name: n.type_name,
                name: n.name,
                version: n.version,
            })
            .collect();

        let fields = ty
            .def
            .fields
            .keys()
            .filter_map(|k| {
                let text = text_of(v.get(k)?);
                (!text.is_empty()).then(|| (k.replace('_', " "), text))
            })
            .collect();
        let card = card(&v);
        let detail = ArtifactDetail {
            id: id.clone(),
            type_name: type_name.to_owned(),
            type_display_name: ty.def.display_name.clone(),
            name: s("name"),
            title: card.title.clone(),
            version: current,
            status: s("status"),
            owner,
            description_html: markdown::render_markdown(
                v.get("description").and_then(Value::as_str).unwrap_or(""),
            ),
            icon_url: card.icon_url,
            license: v.get("license").and_then(Value::as_str).map(str::to_owned),
            license_url: v
                .get("license_url")
                .and_then(Value::as_str)
                .map(str::to_owned),
            provided_by: v.get("provided_by").map(dict_pairs).unwrap_or_default(),
            supported_by: v.get("supported_by").map(dict_pairs).unwrap_or_default(),
            release: v
                .get("release")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            tags: card.tags,
            metadata: v.get("metadata").map(dict_pairs).unwrap_or_default(),
            fields,
            created_at: s("created_at").get(..10).unwrap_or_default().to_owned(),
            updated_at: s("updated_at").get(..10).unwrap_or_default().to_owned(),
            versions,
            blobs,
            install_hint: install_hint(&v),
            dependencies,
            dependents,
            api_url: format!("/api/v1/artifacts/{type_name}/{id}"),
            community: Default::default(),
        };
        Ok(Some((detail, visibility)))
    }
}

fn review_info(r: crate::services::community::Review) -> app::models::ReviewInfo {
    app::models::ReviewInfo {
        id: r.id,
        version: r.version,
        author: r.author,
        body_html: r.body_html,
        body: r.body,
        created_at: r.created_at.get(..10).unwrap_or_default().to_owned(),
        edited: r.edited_at.is_some(),
        hidden: r.hidden,
        by_publisher: r.by_publisher,
        can_edit: r.can_edit,
        reports: r.reports,
        replies: r.replies.into_iter().map(review_info).collect(),
    }
}

impl PageData {
    /// Ratings, reviews and statistics for the detail page, through the
    /// same services as the API.
    async fn community(
        &self,
        caller: &Caller,
        d: &ArtifactDetail,
        subject: Subject<'_>,
        page: u64,
    ) -> Result<app::models::Community, AppError> {
        use crate::services::{community, stats};
        let rating = community::get_rating(&self.catalog, caller, &d.type_name, &d.id).await?;
        let reviews = community::list(&self.catalog, caller, &d.type_name, &d.id, page, 10).await?;
        let st = stats::stats(&self.catalog, caller, &d.type_name, &d.id).await?;
        let signed_in = caller.principal().is_some_and(|p| !p.user_id.is_empty());
        Ok(app::models::Community {
            rating: rating.average,
            rating_count: rating.count.max(0) as u64,
            my_rating: rating.mine.and_then(|s| u8::try_from(s).ok()),
            reviews: reviews.reviews.into_iter().map(review_info).collect(),
            reviews_total: reviews.total,
            page: reviews.page,
            pages: reviews.pages,
            signed_in,
            can_review: access::allowed(caller, Action::Review, subject),
            can_reply: access::allowed(caller, Action::Reply, subject),
            can_moderate: reviews.can_moderate,
            downloads_total: st.downloads_total,
            views_total: st.views_total,
            days: st
                .days
                .into_iter()
                .map(|x| app::models::DayStat {
                    day: x.day,
                    downloads: x.downloads,
                    views: x.views,
                })
                .collect(),
        })
    }
}
