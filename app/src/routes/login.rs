//! Sign-in and registration.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::ui::{Csrf, Unavailable, set_status, use_session};
use crate::urls::encode;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || {
        query
            .read()
            .get("next")
            .filter(|n| n.starts_with('/') && !n.starts_with("//"))
            .unwrap_or_else(|| "/space".to_owned())
    };
    view! {
        <Title text="Sign in" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let Some(session) = use_session() else { return view! { <Unavailable /> }.into_any() };
                let Ok(info) = session.await else { return view! { <Unavailable /> }.into_any() };
                let next = next();
                let oidc_href = format!("/auth/oidc/login?next={}", encode(&next));
                view! {
                    <section class="auth">
                        <h1>"Sign in"</h1>
                        {info.viewer.as_ref().map(|v| view! {
                            <p class="hint">{format!("You are signed in as {}.", v.username)}</p>
                        })}
                        <form id="login-form" method="post" action="/login" class="stack">
                            <Csrf token=info.csrf.clone() />
                            <input type="hidden" name="next" value=next.clone() />
                            <label for="username">"Username"</label>
                            <input id="username" name="username" autocomplete="username" required />
                            <label for="password">"Password"</label>
                            <input id="password" name="password" type="password" autocomplete="current-password" required />
                            <button type="submit">"Sign in"</button>
                        </form>
                        {info.oidc.clone().map(|name| view! {
                            <p class="or">"or"</p>
                            <a id="oidc-login" class="button secondary" href=oidc_href rel="external">{format!("Sign in with {name}")}</a>
                        })}
                        {info.registration_open.then(|| view! {
                            <p>"No account yet? " <a href="/register">"Create one"</a></p>
                        })}
                    </section>
                }
                    .into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! {
        <Title text="Create an account" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let Some(session) = use_session() else { return view! { <Unavailable /> }.into_any() };
                let Ok(info) = session.await else { return view! { <Unavailable /> }.into_any() };
                if !info.registration_open {
                    set_status(403);
                    return view! {
                        <section class="notice">
                            <h1>"Registration is closed"</h1>
                            <p>"Ask the operator of this catalog for an account."</p>
                        </section>
                    }
                        .into_any();
                }
                view! {
                    <section class="auth">
                        <h1>"Create an account"</h1>
                        <p class="hint">"You get your own tenant, named after you, to publish in."</p>
                        <form id="register-form" method="post" action="/register" class="stack">
                            <Csrf token=info.csrf.clone() />
                            <label for="username">"Username"</label>
                            <input id="username" name="username" autocomplete="username" required
                                pattern="[a-z0-9][a-z0-9_\\-]{0,63}" aria-describedby="username-help" />
                            <small id="username-help">"Lowercase letters, digits, '-' and '_'."</small>
                            <label for="display_name">"Display name"</label>
                            <input id="display_name" name="display_name" autocomplete="name" />
                            <label for="email">"E-mail (optional)"</label>
                            <input id="email" name="email" type="email" autocomplete="email" />
                            <label for="password">"Password"</label>
                            <input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required />
                            <label for="password2">"Password again"</label>
                            <input id="password2" name="password2" type="password" autocomplete="new-password" minlength="10" required />
                            <button type="submit">"Create account"</button>
                        </form>
                    </section>
                }
                    .into_any()
            })}
        </Suspense>
    }
}
