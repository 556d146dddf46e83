// Browser tests of the OpenID Connect sign-in: a real provider (npm
// oidc-provider, see oidc.js) and the real appcat binary, with the redirect
// URI registered exactly (port included) before appcat starts.
//
//   cd end2end && npm ci && node --test tests/oidc.test.js

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DOCUMENT_STATUS,
  assertNoProblems,
  expectFlash,
  fillLogin,
  launchBrowser,
  openPage,
  settle,
  signOut,
  signedInAs,
  submit,
  visit,
} from './browser.js';
import { completeProviderLogin, startOidcProvider } from './oidc.js';
import { freePort, startServer } from './server.js';

const TIMEOUT = 120_000;
// The provider's pages have no favicon.
const PROVIDER_FAVICON = /status of 404 .*@ http:\/\/127\.0\.0\.1:\d+\/favicon\.ico$/;
const CLIENT_ID = 'appcat';
const CLIENT_SECRET = 'e2e-client-secret-0123456789';
const IDP_NAME = 'Test IdP';

let provider;
let server;
let closedPort;
let browser;

const callbackOf = (port) => `http://127.0.0.1:${port}/auth/oidc/callback`;
const oidcEnv = () => ({
  APPCAT_OIDC_ISSUER: provider.issuer,
  APPCAT_OIDC_CLIENT_ID: CLIENT_ID,
  APPCAT_OIDC_CLIENT_SECRET: CLIENT_SECRET,
  APPCAT_OIDC_NAME: IDP_NAME,
});

before(async () => {
  const port = await freePort();
  do closedPort = await freePort();
  while (closedPort === port);
  provider = await startOidcProvider({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: [callbackOf(port), callbackOf(closedPort)],
  });
  server = await startServer({ port, env: oidcEnv() });
  assert.equal(server.port, port);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await provider?.stop();
});

/**
 * On appcat's /login (optionally with ?next=), checks the provider's button
 * and goes where it points, to the provider's login page. (That a click on
 * it gets there is the first test's business: the other tests check what
 * the server does, whatever the button does.)
 */
async function startOidcLogin(h, next = '/space') {
  const { page } = h;
  await visit(h, next === '/space' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
  const button = page.locator('a#oidc-login');
  assert.equal((await button.innerText()).trim(), `Sign in with ${IDP_NAME}`);
  const href = await button.getAttribute('href');
  assert.equal(href, `/auth/oidc/login?next=${encodeURIComponent(next)}`);
  await page.goto(href);
  assert.equal(new URL(page.url()).origin, provider.issuer, `on the provider: ${page.url()}`);
}

/**
 * On the provider's login page: signs in as `login` in the browser, then
 * confirms the consent form outside it (the browser context's request
 * client, sharing its cookies) without following redirects. Returns the
 * callback URL the provider sends back, with a genuine code and state,
 * which the browser has not loaded.
 */
async function genuineCallback(h, login) {
  const { page } = h;
  const loginForm = page.locator('form:has(input[name="prompt"][value="login"])');
  await loginForm.locator('input[name="login"]').fill(login);
  await loginForm.locator('input[name="password"]').fill('e2e-password');
  const loginUrl = page.url();
  await Promise.all([page.waitForURL((u) => u.href !== loginUrl), loginForm.locator('button[type="submit"]').click()]);
  const consentForm = page.locator('form:has(input[name="prompt"][value="consent"])');
  await consentForm.waitFor();
  const { action, fields } = await consentForm.evaluate((f) => ({
    action: f.action,
    fields: Object.fromEntries(new FormData(f)),
  }));
  const consented = await h.context.request.post(action, { form: fields, maxRedirects: 0 });
  assert.equal(consented.status(), 303, `consent: ${await consented.text()}`);
  const resumeUrl = new URL(consented.headers().location, action).href;
  const resumed = await h.context.request.get(resumeUrl, { maxRedirects: 0 });
  assert.equal(resumed.status(), 303, `resume: ${await resumed.text()}`);
  const callback = new URL(resumed.headers().location, resumeUrl).href;
  assert.ok(callback.startsWith(server.url('/auth/oidc/callback?')), `back to appcat's callback: ${callback}`);
  return callback;
}

/** Signs in with the provider as `login`; ends on `landing`, signed in as `login`. */
async function oidcSignIn(h, login, { next = '/space', landing = next } = {}) {
  await startOidcLogin(h, next);
  await completeProviderLogin(h.page, login);
  assert.equal(new URL(h.page.url()).origin, server.baseURL, `back on appcat: ${h.page.url()}`);
  assert.equal(new URL(h.page.url()).pathname, landing);
  await settle(h);
  await expectFlash(h.page, 'ok', `Signed in as ${login}.`);
  assert.equal(await signedInAs(h.page), login);
}

describe('OpenID Connect sign-in', { timeout: TIMEOUT * 5 }, () => {
  for (const javaScriptEnabled of [true, false]) {
    test(`the "Sign in with ${IDP_NAME}" button leads to the provider (${javaScriptEnabled ? 'with' : 'without'} JavaScript)`, { timeout: TIMEOUT }, async () => {
      const h = await openPage(browser, server, { javaScriptEnabled });
      try {
        await visit(h, '/login');
        const button = h.page.locator('a#oidc-login');
        assert.equal((await button.innerText()).trim(), `Sign in with ${IDP_NAME}`);
        // The browser itself must load /auth/oidc/login from the server
        // (which redirects to the provider): it is no page of the site.
        const [request] = await Promise.all([
          h.page.waitForRequest((r) => r.isNavigationRequest() && new URL(r.url()).pathname === '/auth/oidc/login'),
          button.click(),
        ]);
        assert.equal(request.url(), server.url('/auth/oidc/login?next=%2Fspace'));
        await h.page.waitForURL(`${provider.issuer}/interaction/**`);
        await h.page.locator('input[name="login"]').waitFor();
        assertNoProblems(h.problems, { allowConsole: [PROVIDER_FAVICON] });
      } finally {
        await h.context.close();
      }
    });
  }

  test('first sign-in creates the account; a later one, in a fresh browser, finds it again', { timeout: TIMEOUT }, async () => {
    const first = await openPage(browser, server);
    const { page } = first;
    let draftHref;
    try {
      await oidcSignIn(first, 'dora');
      assert.equal((await page.locator('main h1').innerText()).trim(), 'Your space');
      assert.match(await page.locator('main p.hint').first().innerText(), /Artifacts of tenant dora\./);

      // Something to find again: a draft, made through the form.
      await visit(first, '/space/new/heat_templates');
      await page.fill('#f-name', 'dora-notes');
      await page.fill('#f-version', '0.1.0');
      await submit(first, () => page.locator('#artifact-form button[type=submit]', { hasText: 'Create draft' }).click());
      await expectFlash(page, 'ok', /^Created as a draft\./);
      draftHref = new URL(page.url()).pathname;
      assert.match(draftHref, /^\/space\/a\/heat_templates\/[0-9a-f-]+$/);
      assert.match(await page.locator('#artifact-status + span + span').innerText(), /owned by dora/);

      await signOut(first);
      await visit(first, '/space', 401);
      assertNoProblems(first.problems, { allowConsole: [DOCUMENT_STATUS, PROVIDER_FAVICON] });
    } finally {
      await first.context.close();
    }

    // A fresh browser: the provider asks again, appcat finds the same
    // account; the way back honours ?next=.
    const again = await openPage(browser, server);
    try {
      await oidcSignIn(again, 'dora', { next: '/space/tokens' });
      assert.equal((await again.page.locator('main h1').innerText()).trim(), 'API tokens');
      await visit(again, '/space');
      assert.match(await again.page.locator('main p.hint').first().innerText(), /Artifacts of tenant dora\./);
      const link = again.page.locator(`main table a[href="${draftHref}"]`);
      assert.equal(await link.count(), 1, 'the draft of the first session is there');
      assert.equal((await link.innerText()).trim(), 'dora-notes');
      await visit(again, draftHref);
      assert.equal((await again.page.locator('#artifact-status').innerText()).trim(), 'drafted');
      assertNoProblems(again.problems, { allowConsole: [PROVIDER_FAVICON] });
    } finally {
      await again.context.close();
    }

    // One account, one tenant, as a catalog admin sees it.
    await server.cli('user', 'create', 'oidc-root', '--admin', '--password-stdin', { input: 'oidc-root-password\n' });
    const adm = await openPage(browser, server, { javaScriptEnabled: false });
    try {
      await visit(adm, '/login');
      await fillLogin(adm, 'oidc-root', 'oidc-root-password');
      await visit(adm, '/admin');
      const users = await adm.page.locator('section#users tbody tr td:first-child').allInnerTexts();
      assert.deepEqual(users.filter((u) => /dora/.test(u)).length, 1, `one dora account: ${JSON.stringify(users)}`);
      const tenants = await adm.page.locator('section#tenants tbody tr td:first-child').allInnerTexts();
      assert.equal(tenants.filter((t) => /dora/.test(t)).length, 1, `one dora tenant: ${JSON.stringify(tenants)}`);
    } finally {
      await adm.context.close();
    }
  });

  test('a tampered or replayed callback is refused and signs nobody in', { timeout: TIMEOUT }, async () => {
    // 1. A login was started; the callback comes with a made-up code and state.
    const a = await openPage(browser, server);
    try {
      await startOidcLogin(a);
      const res = await a.page.goto('/auth/oidc/callback?code=x&state=wrong');
      assert.equal(res.status(), 200);
      await settle(a);
      assert.equal(new URL(a.page.url()).pathname, '/login');
      await expectFlash(a.page, 'error', 'the sign-in could not be verified: OIDC state mismatch');
      assert.equal(await signedInAs(a.page), null, 'not signed in');
      await visit(a, '/space', 401);
      assertNoProblems(a.problems, { allowConsole: [DOCUMENT_STATUS, PROVIDER_FAVICON] });
    } finally {
      await a.context.close();
    }

    // The way genuineCallback() gets a callback URL yields one that works.
    const d = await openPage(browser, server);
    try {
      await startOidcLogin(d);
      const genuine = await genuineCallback(d, 'mallory');
      const res = await d.page.goto(genuine);
      assert.equal(res.status(), 200);
      await settle(d);
      assert.equal(new URL(d.page.url()).pathname, '/space');
      await expectFlash(d.page, 'ok', 'Signed in as mallory.');
      assert.equal(await signedInAs(d.page), 'mallory');
      assertNoProblems(d.problems, { allowConsole: [PROVIDER_FAVICON] });
    } finally {
      await d.context.close();
    }

    // 2. The provider's genuine code, with another state; then the genuine
    //    callback itself, replayed after that: both refused.
    const b = await openPage(browser, server);
    try {
      await startOidcLogin(b);
      const genuine = await genuineCallback(b, 'mallory');
      const url = new URL(genuine);
      assert.ok(url.searchParams.get('code') && url.searchParams.get('state'), genuine);
      const forged = new URL(url);
      forged.searchParams.set('state', `${url.searchParams.get('state')}x`);
      const res = await b.page.goto(forged.href);
      assert.equal(res.status(), 200);
      await settle(b);
      assert.equal(new URL(b.page.url()).pathname, '/login');
      await expectFlash(b.page, 'error', 'the sign-in could not be verified: OIDC state mismatch');
      assert.equal(await signedInAs(b.page), null, 'not signed in with a wrong state');

      const replay = await b.page.goto(genuine);
      assert.equal(replay.status(), 200);
      await settle(b);
      assert.equal(new URL(b.page.url()).pathname, '/login');
      await expectFlash(b.page, 'error', 'this sign-in has expired or was already used: start again');
      assert.equal(await signedInAs(b.page), null, 'not signed in by a replay');
      await visit(b, '/space', 401);
      assertNoProblems(b.problems, { allowConsole: [DOCUMENT_STATUS, PROVIDER_FAVICON] });
    } finally {
      await b.context.close();
    }

    // 3. A callback without any login started.
    const c = await openPage(browser, server, { javaScriptEnabled: false });
    try {
      const res = await c.page.goto('/auth/oidc/callback?code=x&state=y');
      assert.equal(res.status(), 200);
      assert.equal(new URL(c.page.url()).pathname, '/login');
      await expectFlash(c.page, 'error', 'this sign-in has expired or was already used: start again');
      assert.equal(await signedInAs(c.page), null);
    } finally {
      await c.context.close();
    }
  });

  test('registration closed: an unknown identity gets no account', { timeout: TIMEOUT }, async () => {
    const closed = await startServer({ port: closedPort, env: { ...oidcEnv(), APPCAT_REGISTRATION: 'closed' } });
    const h = await openPage(browser, closed);
    try {
      await visit(h, '/login');
      assert.equal(await h.page.locator('a[href="/register"]').count(), 0);
      await h.page.goto(await h.page.locator('a#oidc-login').getAttribute('href'));
      await completeProviderLogin(h.page, 'erin');
      assert.equal(new URL(h.page.url()).origin, closed.baseURL);
      assert.equal(new URL(h.page.url()).pathname, '/login');
      await settle(h);
      await expectFlash(h.page, 'error', 'no account is linked to this identity and registration is closed');
      assert.equal(await signedInAs(h.page), null);
      await visit(h, '/space', 401);
      assertNoProblems(h.problems, { allowConsole: [DOCUMENT_STATUS, PROVIDER_FAVICON] });
    } finally {
      await h.context.close();
      await closed.stop();
    }
  });
});
