// Test helper: a real OpenID Connect provider (npm `oidc-provider`, 9.x) on a
// free loopback port, for browser tests of the OIDC login. It is started in
// this process (no child process) and serves plain http.
//
//   const op = await startOidcProvider({ clientId, clientSecret, redirectUri });
//   ... configure the relying party with op.issuer ...
//   await page.goto(<relying party's login URL>);   // ends on the provider's login page
//   await completeProviderLogin(page, 'carol');    // back on the relying party
//   await op.stop();
//
// The provider:
//   - issuer `http://127.0.0.1:<port>`, discovery at
//     `<issuer>/.well-known/openid-configuration`; endpoints /auth, /token,
//     /me (userinfo), /jwks, /session/end;
//   - one confidential client: grant authorization_code, response_types
//     ['code'], token_endpoint_auth_method client_secret_basic (oidc-provider 9
//     treats client_secret_basic and client_secret_post as interchangeable, so
//     the secret may also be sent in the form body), ID tokens signed RS256
//     with a key generated at start;
//   - PKCE required, and only S256 (code_challenge_method must be sent);
//   - scopes openid, profile, email; `conformIdTokenClaims: false`, so the ID
//     token itself carries preferred_username, name (profile) and email (email);
//   - accounts: any login with any password; the account of login L is
//     { sub: L, preferred_username: L, email: `${L}@example.test`, name: `OIDC ${L}` }.
//
// The built-in development interactions (what the browser sees), as verified
// with Debian's chromium and playwright-core:
//   1. GET /auth?... answers 303 to /interaction/<uid>: the login page
//      (<title> and <h1> "Sign-in"), one form (POST /interaction/<uid>) with
//        input[type=hidden][name="prompt"][value="login"]
//        input[name="login"]      (type=text, required; placeholder "Enter any login")
//        input[name="password"]   (type=password, required; any value works)
//        button[type="submit"]    text "Sign-in"
//      and a link "[ Cancel ]" (/interaction/<uid>/abort: error=access_denied
//      back to the redirect URI).
//   2. Submitting it answers 303 to /auth/<uid> which answers 303 to
//      /interaction/<new uid>: the consent page (<h1> "Authorize", but its
//      <title> is still "Sign-in"; it lists "scopes: profile email"), one form
//      (POST /interaction/<new uid>) with
//        input[type=hidden][name="prompt"][value="consent"]
//        button[type="submit"]    text "Continue"
//   3. Submitting it answers 303 to /auth/<new uid>, which answers 303 to
//      <redirect_uri>?code=...&state=...&iss=<issuer>.
//   completeProviderLogin() below does exactly this.
//   The consent is stored as a grant: later authorizations of the same account
//   and client in the same browser context (the provider's session cookie) go
//   straight back to the redirect URI, showing neither page. Use a fresh
//   browser context to see both pages again; prompt=login shows the login page
//   but not the consent page. Replaying an authorization code at /token
//   (invalid_grant) also revokes its grant: consent is asked again after that.
//   The redirect back carries an `iss` parameter (RFC 9207) besides code and
//   state. Requests without PKCE, or with code_challenge_method=plain, are
//   sent back to the redirect URI with error=invalid_request; a redirect_uri
//   that is not registered gets an error page on the provider instead.
//
// Cookies: cookies are not isolated by port, so the provider's cookies on
// 127.0.0.1 are also sent to a relying party on 127.0.0.1:<other port>. They
// are renamed here (e2e_op_session, e2e_op_interaction,
// e2e_op_interaction_resume, each with a `.sig` companion) so they cannot
// collide with the relying party's own cookies. They are SameSite=Lax, which
// does not matter here: different ports of one host are the same site.
//
// oidc-provider warns about the Node.js version (it wants 22 LTS or later; 20
// works for this) and about development-only features (dev interactions,
// in-memory storage) when it is loaded and constructed; those known warnings
// are dropped. OIDC_E2E_VERBOSE=1 shows them, and logs provider errors.

import { generateKeyPair } from 'node:crypto';
import { createServer } from 'node:http';
import { promisify } from 'node:util';

const VERBOSE = process.env.OIDC_E2E_VERBOSE === '1';

/** Runs `fn`, dropping oidc-provider's console warnings and notices meanwhile. */
async function withoutProviderNotices(fn) {
  if (VERBOSE) return fn();
  const isNotice = (args) =>
    typeof args[0] === 'string' &&
    /^(?:\x1b\[[\d;]*m)?oidc-provider (?:WARNING|NOTICE): /.test(args[0]);
  const { warn, info } = console;
  console.warn = (...args) => (isNotice(args) ? undefined : warn.apply(console, args));
  console.info = (...args) => (isNotice(args) ? undefined : info.apply(console, args));
  try {
    return await fn();
  } finally {
    console.warn = warn;
    console.info = info;
  }
}

let providerModule;
function loadProvider() {
  providerModule ??= withoutProviderNotices(() => import('oidc-provider'));
  return providerModule;
}

const htmlEscape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Starts the provider. `redirectUri` (and the optional
 * `postLogoutRedirectUri`, for RP-initiated logout at /session/end) may be one
 * URI or an array of them. They are matched exactly, port included, unless
 * `anyLoopbackPort` is set: then the client is registered as a "native"
 * application, for which oidc-provider accepts an http://127.0.0.1 (or
 * localhost, [::1]) URI on any port (RFC 8252), so the provider can be started
 * before the relying party's port is known, e.g. with
 * redirectUri 'http://127.0.0.1/auth/callback'.
 *
 * Returns { issuer, port, provider, stop() }; `provider` is the oidc-provider
 * instance (a Koa application) for anything further.
 */
export async function startOidcProvider({
  clientId,
  clientSecret,
  redirectUri,
  postLogoutRedirectUri,
  anyLoopbackPort = false,
}) {
  if (!clientId || !clientSecret || !redirectUri) {
    throw new Error('startOidcProvider needs clientId, clientSecret and redirectUri');
  }
  const { default: Provider } = await loadProvider();

  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'e2e-rs256', use: 'sig', alg: 'RS256' };

  // Listen first: the issuer has to name the port.
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;

  const configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        application_type: anyLoopbackPort ? 'native' : 'web',
        redirect_uris: [redirectUri].flat(),
        ...(postLogoutRedirectUri ? { post_logout_redirect_uris: [postLogoutRedirectUri].flat() } : {}),
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    jwks: { keys: [signingKey] },
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'email'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
    },
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      // The other defaults: discovery, userinfo, rpInitiatedLogout stay on.
    },
    cookies: {
      names: {
        session: 'e2e_op_session',
        interaction: 'e2e_op_interaction',
        resume: 'e2e_op_interaction_resume',
      },
      keys: ['appcat-e2e-oidc-cookie-key'],
    },
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            preferred_username: sub,
            email: `${sub}@example.test`,
            name: `OIDC ${sub}`,
          };
        },
      };
    },
    // Explicit values instead of the defaults, which log a notice when used.
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 600,
      IdToken: 3600,
      Interaction: 3600,
      Session: 24 * 3600,
      Grant: 24 * 3600,
    },
    clientBasedCORS: () => false,
    async renderError(ctx, out, error) {
      if (VERBOSE) console.error('oidc-provider error:', error);
      ctx.type = 'html';
      ctx.body =
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>OIDC provider error</title></head>' +
        '<body><h1>OIDC provider error</h1>' +
        Object.entries(out)
          .map(([k, v]) => `<p><strong>${htmlEscape(k)}</strong>: <span class="${htmlEscape(k)}">${htmlEscape(v)}</span></p>`)
          .join('') +
        '</body></html>';
    },
  };

  let provider;
  try {
    provider = await withoutProviderNotices(() => new Provider(issuer, configuration));
  } catch (e) {
    server.close();
    throw e;
  }

  // The built-in pages @import a Google web font: drop that so the browser
  // makes no request off the loopback.
  provider.use(async (ctx, next) => {
    await next();
    if (typeof ctx.body === 'string' && ctx.response.is('html')) {
      ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com\/[^)]*\);?/g, '');
    }
  });
  if (VERBOSE) {
    provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error:', err));
  }

  server.on('request', provider.callback());

  let stopped = null;
  return {
    issuer,
    port,
    provider,
    /** Stops listening and drops open (keep-alive) connections. */
    stop() {
      stopped ??= new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

/**
 * Given a Playwright page showing the provider's login page, signs in as
 * `login` (any password), confirms the consent page if it comes, and returns
 * once the browser has been redirected back to the relying party (another
 * origin) and that page has loaded. Throws, with the page's text, when the
 * provider shows anything else (an error page, for instance).
 */
export async function completeProviderLogin(page, login, { password = 'e2e-password', timeout = 15_000 } = {}) {
  const providerOrigin = new URL(page.url()).origin;
  const describe = async () => {
    const text = await page.locator('body').innerText({ timeout: 2_000 }).catch(() => '');
    return `${page.url()}: ${text.trim().slice(0, 1_000)}`;
  };
  // Clicks `button` and waits for the main frame's next document (the end of
  // the 303 chain the form's POST starts).
  const submit = async (button) => {
    const navigated = page.waitForEvent('framenavigated', {
      predicate: (frame) => frame === page.mainFrame(),
      timeout,
    });
    await button.click({ timeout });
    await navigated;
    await page.waitForLoadState('domcontentloaded', { timeout });
  };

  const loginForm = page.locator('form:has(input[name="prompt"][value="login"])');
  const errorPage = page.locator('h1', { hasText: 'OIDC provider error' });
  try {
    await loginForm.or(errorPage).first().waitFor({ state: 'visible', timeout });
  } catch {
    throw new Error(`not on the provider's login page: ${await describe()}`);
  }
  if ((await errorPage.count()) > 0) {
    throw new Error(`the provider shows an error instead of its login page: ${await describe()}`);
  }
  await loginForm.locator('input[name="login"]').fill(login, { timeout });
  await loginForm.locator('input[name="password"]').fill(password, { timeout });
  await submit(loginForm.locator('button[type="submit"]'));

  // At most one consent page; anything else on the provider is an error.
  for (let step = 0; step < 2; step++) {
    if (new URL(page.url()).origin !== providerOrigin) {
      await page.waitForLoadState('load', { timeout });
      return;
    }
    const consentForm = page.locator('form:has(input[name="prompt"][value="consent"])');
    if (step > 0 || (await consentForm.count()) === 0) break;
    await submit(consentForm.locator('button[type="submit"]'));
  }
  throw new Error(`the provider did not redirect back to the relying party: ${await describe()}`);
}
