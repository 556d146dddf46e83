//! API tokens: the list, revoking, and a new token shown once.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::models::TokensPage;
use crate::server_fns::get_tokens;
use crate::ui::{Csrf, Unavailable, closed, csrf};
use crate::urls::encode;

#[component]
pub fn TokensPageView() -> impl IntoView {
    let tokens = Resource::new(|| (), |_| get_tokens());
    view! {
        <Title text="API tokens" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let token = csrf().await;
                match tokens.await {
                    Ok(gate) => closed(gate, move |t: TokensPage| view! { <Tokens t token /> }.into_any()),
                    Err(_) => view! { <Unavailable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Tokens(t: TokensPage, token: String) -> impl IntoView {
    view! {
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/space">"Your space"</a> " / " <span aria-current="page">"API tokens"</span></nav>
        <h1>"API tokens"</h1>
        <p class="hint">"Send a token as " <code>"X-Auth-Token: <token>"</code> " (what python-glareclient sends) or " <code>"Authorization: Bearer <token>"</code> "."</p>
        {t.new_secret.clone().map(|s| view! {
            <div class="flash ok" role="status">
                <p>"Your new token. Copy it now: it is not shown again."</p>
                <pre><code id="new-token">{s}</code></pre>
            </div>
        })}
        {if t.tokens.is_empty() {
            view! { <p class="hint">"No tokens."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap"><table class="list" id="tokens">
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Tenant"</th><th scope="col">"Scopes"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col">"Expires"</th><th scope="col"><span class="sr-only">"Revoke"</span></th></tr></thead>
                    <tbody>
                        {t.tokens.iter().map(|k| {
                            let revoke = format!("/space/tokens/{}/revoke", encode(&k.id));
                            view! {
                                <tr>
                                    <td>{k.name.clone()}</td>
                                    <td>{k.tenant.clone()}</td>
                                    <td>{k.scopes.clone()}</td>
                                    <td>{k.created_at.clone()}</td>
                                    <td>{k.last_used_at.clone().unwrap_or_else(|| "never".into())}</td>
                                    <td>{k.expires_at.clone().unwrap_or_else(|| "never".into())}</td>
                                    <td>
                                        <form method="post" action=revoke class="inline">
                                            <Csrf token=token.clone() />
                                            <button type="submit" class="danger">"Revoke"</button>
                                        </form>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table></div>
            }.into_any()
        }}
        <h2>"New token"</h2>
        <form method="post" action="/space/tokens" class="stack" id="token-form">
            <Csrf token=token.clone() />
            <label for="token-name">"Name"</label>
            <input id="token-name" name="name" required maxlength="100" placeholder="ci" />
            <label for="token-tenant">"Tenant"</label>
            <select id="token-tenant" name="tenant">
                {t.tenants.iter().map(|x| view! { <option value=x.clone()>{x.clone()}</option> }).collect_view()}
            </select>
            <fieldset>
                <legend>"Scopes (read is always included)"</legend>
                <label><input type="checkbox" name="scope" value="write" checked /> " write: create, edit, upload, share, delete"</label>
                <label><input type="checkbox" name="scope" value="publish" /> " publish: activate and deactivate"</label>
            </fieldset>
            <label for="token-days">"Expires after (days, empty for never)"</label>
            <input id="token-days" name="expires_in_days" type="number" min="1" max="3650" value="90" />
            <button type="submit">"Create token"</button>
        </form>
    }
}
