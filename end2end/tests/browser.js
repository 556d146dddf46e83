// Test helper for the browser tests of the signed-in website (website.test.js,
// oidc.test.js): launches Debian's chromium (the flags of catalog.test.js),
// opens pages that record what goes wrong in them, waits for hydration, and
// navigates by form posts and links.
//
// CHROMIUM_PATH overrides /usr/bin/chromium. Screenshots are written only
// when APPCAT_SCREENSHOT_DIR is set (the Makefile sets it).

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = process.env.APPCAT_SCREENSHOT_DIR
  ? path.resolve(process.env.APPCAT_SCREENSHOT_DIR)
  : null;

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

// Marks, in the page, the moment the WASM module has been instantiated: the
// hydration script calls hydrate() as soon as that promise settles.
const INSTRUMENT_WASM = () => {
  window.__e2eWasmReady = false;
  const mark = (p) =>
    p.then((r) => {
      window.__e2eWasmReady = true;
      return r;
    });
  const streaming = WebAssembly.instantiateStreaming?.bind(WebAssembly);
  const plain = WebAssembly.instantiate.bind(WebAssembly);
  if (streaming) WebAssembly.instantiateStreaming = (...a) => mark(streaming(...a));
  WebAssembly.instantiate = (...a) => mark(plain(...a));
};

/**
 * A page in a new browser context (its own cookies) on `server`, recording
 * uncaught exceptions, console errors, failed requests and sub-resources
 * with an HTTP error. `page.js` says whether JavaScript runs in it.
 */
export async function openPage(browser, server, { javaScriptEnabled = true, width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({
    javaScriptEnabled,
    viewport: { width, height },
    baseURL: server.baseURL,
  });
  context.setDefaultTimeout(15_000);
  if (javaScriptEnabled) await context.addInitScript(INSTRUMENT_WASM);
  const page = await context.newPage();
  const problems = { pageErrors: [], consoleErrors: [], failedRequests: [], httpErrors: [] };
  const responses = [];
  page.on('pageerror', (e) => problems.pageErrors.push(String(e?.stack ?? e)));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.consoleErrors.push(`${m.text()} @ ${m.location()?.url ?? ''}`);
  });
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText;
    // Without JavaScript chromium refuses the <link rel="modulepreload"> of
    // the bundle, reporting it as blocked by CSP.
    if (!javaScriptEnabled && why === 'csp' && r.resourceType() === 'script') return;
    // A navigation cancels what the previous page was still fetching.
    if (why === 'net::ERR_ABORTED' && r.resourceType() !== 'document') return;
    problems.failedRequests.push(`${r.method()} ${r.url()}: ${why}`);
  });
  page.on('response', (r) => {
    responses.push(r);
    if (r.status() >= 400 && r.request().resourceType() !== 'document') {
      problems.httpErrors.push(`${r.status()} ${r.url()}`);
    }
  });
  const handle = { context, page, problems, responses, js: javaScriptEnabled };
  return handle;
}

/** Fails on anything recorded by openPage(); `allowConsole` lists console errors to let pass. */
export function assertNoProblems(problems, { allowConsole = [] } = {}) {
  const consoleErrors = problems.consoleErrors.filter((t) => !allowConsole.some((re) => re.test(t)));
  assert.deepEqual(problems.pageErrors, [], 'uncaught exceptions in the page');
  assert.deepEqual(consoleErrors, [], 'console errors');
  assert.deepEqual(problems.failedRequests, [], 'failed requests');
  assert.deepEqual(problems.httpErrors, [], 'sub-resources with an HTTP error');
}

/** Chromium logs the error status of a document itself as a console error. */
export const DOCUMENT_STATUS = /the server responded with a status of (401|403|404)/;

/** Waits until the WASM bundle was fetched with 200, instantiated and hydrate() has run. */
export async function waitForHydration(page) {
  await page.waitForFunction(() => window.__e2eWasmReady === true, null, { timeout: 30_000 });
  // hydrate() runs in the promise chain right after instantiation: one more
  // macrotask and two frames and it has finished.
  await page.evaluate(
    () =>
      new Promise((r) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(r)), 0)),
  );
  const loaded = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => ({ path: new URL(e.name).pathname, status: e.responseStatus }))
      .filter((e) => e.path === '/pkg/appcat_bg.wasm'),
  );
  assert.ok(loaded.length > 0 && loaded.every((e) => e.status === 200), `WASM bundle loaded: ${JSON.stringify(loaded)}`);
}

/** After a new document: waits for hydration when JavaScript runs. */
export async function settle(h) {
  if (h.js) await waitForHydration(h.page);
}

/** Loads `p` (a fresh document), checks its HTTP status and waits for hydration. */
export async function visit(h, p, status = 200) {
  const res = await h.page.goto(p);
  assert.ok(res, `no response for ${p}`);
  assert.equal(res.status(), status, `GET ${p}: HTTP status`);
  await settle(h);
  return res;
}

/**
 * Runs `action` (a click that submits a form or follows a link to a new
 * document) and waits for the document the browser ends on (after any
 * redirects); checks its status and waits for hydration. Returns the
 * response.
 */
export async function submit(h, action, status = 200) {
  const [res] = await Promise.all([h.page.waitForNavigation({ waitUntil: 'load' }), action()]);
  assert.ok(res, 'the navigation has a response');
  assert.equal(res.status(), status, `${res.request().method()} ${res.url()}: HTTP status`);
  await settle(h);
  return res;
}

/** The one-time message at the top of main: { kind, text } or null. */
export async function flash(page) {
  const f = page.locator('main p.flash');
  const n = await f.count();
  if (n === 0) return null;
  assert.equal(n, 1, 'at most one flash message');
  const cls = await f.getAttribute('class');
  const role = await f.getAttribute('role');
  const kind = /\berror\b/.test(cls) ? 'error' : /\bok\b/.test(cls) ? 'ok' : cls;
  assert.equal(role, kind === 'error' ? 'alert' : 'status', `role of the ${kind} flash`);
  return { kind, text: (await f.innerText()).trim() };
}

/** Asserts the flash message's kind and that its text matches `re` (or equals a string). */
export async function expectFlash(page, kind, expected) {
  const f = await flash(page);
  assert.ok(f, `a ${kind} flash is shown (${page.url()}); main says: ${(await page.locator('main').innerText()).slice(0, 500)}`);
  assert.equal(f.kind, kind, `flash kind; its text: ${f.text}`);
  if (expected instanceof RegExp) assert.match(f.text, expected);
  else assert.equal(f.text, expected);
}

/** The signed-in username the header shows, or null when signed out. */
export async function signedInAs(page) {
  const menu = page.locator('header [data-testid=user-menu]');
  if ((await menu.count()) === 0) {
    // Signed out: the header offers "Sign in" instead.
    assert.equal(await page.locator('header a[href="/login"]').count(), 1, 'header links to /login');
    return null;
  }
  assert.equal(await page.locator('header a[href="/login"]').count(), 0, 'no "Sign in" link when signed in');
  assert.equal(await page.locator('header form[action="/logout"] button', { hasText: 'Sign out' }).count(), 1);
  return (await menu.innerText()).trim();
}

/** Signs in through the login form on the current /login page. */
export async function fillLogin(h, username, password) {
  await h.page.fill('#login-form #username', username);
  await h.page.fill('#login-form #password', password);
  return submit(h, () => h.page.locator('#login-form button[type=submit]', { hasText: 'Sign in' }).click());
}

/** Signs out with the header's button; ends on the home page. */
export async function signOut(h) {
  const res = await submit(h, () => h.page.locator('header form[action="/logout"] button', { hasText: 'Sign out' }).click());
  assert.equal(new URL(h.page.url()).pathname, '/');
  assert.equal(await signedInAs(h.page), null, 'signed out');
  return res;
}

/**
 * Saves a full-page screenshot as `name` when APPCAT_SCREENSHOT_DIR is set,
 * as wide as the viewport (what overflows to the right is cut off).
 */
export async function screenshot(page, name) {
  if (!SCREENSHOT_DIR) return;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.evaluate(() => document.fonts.ready);
  const { width } = page.viewportSize();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.screenshot({
    path: path.join(SCREENSHOT_DIR, name),
    fullPage: true,
    clip: { x: 0, y: 0, width, height },
  });
}

/**
 * How far the page scrolls sideways: { scrollWidth, innerWidth, offenders },
 * offenders being the outermost elements that reach past the right edge.
 */
export function sideScroll(page) {
  return page.evaluate(() => {
    const innerWidth = window.innerWidth;
    const offenders = [];
    const seen = new Set();
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= innerWidth + 0.5) continue;
      let p = el.parentElement;
      while (p && !seen.has(p)) p = p.parentElement;
      seen.add(el);
      if (p) continue;
      const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${[...el.classList].map((c) => `.${c}`).join('')}`;
      offenders.push(`${name} (right edge ${Math.round(r.right)} px)`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth, offenders };
  });
}

/**
 * Saves a screenshot of the element `locator` (scrolled into view) as
 * `name` when APPCAT_SCREENSHOT_DIR is set.
 */
export async function screenshotOf(locator, name) {
  if (!SCREENSHOT_DIR) return;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await locator.page().evaluate(() => document.fonts.ready);
  await locator.screenshot({ path: path.join(SCREENSHOT_DIR, name) });
}
