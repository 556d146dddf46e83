// Test helper: runs the real `appcat` binary on a free loopback port with a
// fresh data directory, seeds it through the admin CLI and the HTTP API, and
// stops it again. The server process is killed when this process exits, so an
// interrupted or failed run leaves nothing listening behind.
//
// Environment:
//   APPCAT_BIN        the appcat binary (default: ../target/debug/appcat)
//   LEPTOS_SITE_ROOT  the compiled site with pkg/ (default: ../target/site)
//   APPCAT_E2E_KEEP=1 keep the temporary data directory (its path is logged)
// Relative values are taken from the current directory; the defaults are
// relative to end2end/.
//
// startServer({ env, port }): `env` adds environment variables for
// `appcat serve` and the CLI (e.g. APPCAT_REGISTRATION, APPCAT_OIDC_*);
// `port` fixes the port (see freePort()), e.g. to register an OIDC redirect
// URI before the server starts; without it a free port is chosen.

import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The end2end/ directory. */
export const END2END_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const APPCAT_BIN = process.env.APPCAT_BIN
  ? path.resolve(process.env.APPCAT_BIN)
  : path.resolve(END2END_DIR, '../target/debug/appcat');

export const SITE_ROOT = process.env.LEPTOS_SITE_ROOT
  ? path.resolve(process.env.LEPTOS_SITE_ROOT)
  : path.resolve(END2END_DIR, '../target/site');

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

// Every server started by this process, so that an exit of any kind kills them.
const running = new Set();
let exitHooksInstalled = false;

function installExitHooks() {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is.
  process.on('exit', () => {
    for (const child of running) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      // Runs the 'exit' handler above, then leaves with the usual code.
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal]));
    });
  }
}

/** The environment for the binary: ours, without any APPCAT_* of the caller's. */
function childEnv(dataDir, extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('APPCAT_') && k !== 'LEPTOS_SITE_ROOT') env[k] = v;
  }
  return {
    ...env,
    APPCAT_DATA_DIR: dataDir,
    LEPTOS_SITE_ROOT: SITE_ROOT,
    APPCAT_LOG: process.env.APPCAT_LOG ?? 'warn,sqlx=warn',
    NO_COLOR: '1',
    ...extra,
  };
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function checkBuilt() {
  if (!existsSync(APPCAT_BIN)) {
    throw new Error(
      `appcat binary not found at ${APPCAT_BIN}: build it first (make build) or set APPCAT_BIN`,
    );
  }
  for (const f of ['pkg/appcat.js', 'pkg/appcat_bg.wasm', 'pkg/appcat.css']) {
    if (!existsSync(path.join(SITE_ROOT, f))) {
      throw new Error(
        `site bundle incomplete: ${path.join(SITE_ROOT, f)} is missing: build it first (make build) or set LEPTOS_SITE_ROOT`,
      );
    }
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A running appcat server.
 *
 *   const server = await startServer();
 *   await server.seed();          // optional: the catalog the tests expect
 *   ... server.url('/apps/heat_templates') ...
 *   await server.stop();
 */
export class AppcatServer {
  /**
   * `env`: extra environment variables for `appcat serve` and the CLI;
   * `port`: a fixed port to listen on (default: a free one, chosen anew on
   * each start).
   */
  constructor(dataDir, { env = {}, port = null } = {}) {
    this.dataDir = dataDir;
    this.env = { ...env };
    this.fixedPort = port;
    this.child = null;
    this.port = null;
    this.baseURL = null;
    this.log = '';
  }

  /** An absolute URL on this server. */
  url(p = '/') {
    return new URL(p, this.baseURL).href;
  }

  /**
   * Runs `appcat <args...>` against this server's data directory; returns
   * stdout. A plain object as the last argument holds options: `input`, a
   * string written to the command's standard input (e.g. for
   * `user create --password-stdin` or `user set-password`).
   */
  async cli(...args) {
    const last = args[args.length - 1];
    const options = last !== null && typeof last === 'object' && !Array.isArray(last) ? args.pop() : {};
    if (options.input !== undefined) return this.#cliWithInput(args, options.input);
    try {
      const { stdout } = await execFileAsync(APPCAT_BIN, args, {
        env: childEnv(this.dataDir, this.env),
        timeout: 30_000,
      });
      return stdout;
    } catch (e) {
      throw new Error(`appcat ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}`);
    }
  }

  #cliWithInput(args, input) {
    return new Promise((resolve, reject) => {
      const child = spawn(APPCAT_BIN, args, {
        env: childEnv(this.dataDir, this.env),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`appcat ${args.join(' ')} failed: ${e.message}`));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(stdout);
        else reject(new Error(`appcat ${args.join(' ')} failed (${code ?? signal}):\n${stderr}`));
      });
      // The command may exit before reading everything (EPIPE): its exit
      // status tells.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    });
  }

  async #spawnOnce() {
    this.port = this.fixedPort ?? (await freePort());
    this.baseURL = `http://127.0.0.1:${this.port}`;
    this.log = '';
    const child = spawn(APPCAT_BIN, ['serve'], {
      env: childEnv(this.dataDir, { ...this.env, APPCAT_ADDR: `127.0.0.1:${this.port}` }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(child);
    const append = (chunk) => {
      this.log += chunk.toString();
      if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    let exited = null;
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      running.delete(child);
    });

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exited) {
        return { ok: false, why: `appcat serve exited (${exited.code ?? exited.signal})` };
      }
      try {
        const res = await fetch(this.url('/robots.txt'), { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.ok) return { ok: true };
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    return { ok: false, why: `appcat serve did not answer within ${READY_TIMEOUT_MS} ms` };
  }

  /** Starts `appcat serve`; retries on another port if the chosen one was taken meanwhile. */
  async start() {
    installExitHooks();
    let last;
    for (let attempt = 0; attempt < 3; attempt++) {
      last = await this.#spawnOnce();
      if (last.ok) return this;
      await this.#kill();
      // A fixed port cannot move elsewhere.
      if (this.fixedPort || !/address|in use/i.test(this.log)) break;
    }
    throw new Error(`${last.why}; its output:\n${this.log}`);
  }

  async #kill() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await gone;
    clearTimeout(timer);
  }

  /**
   * Stops the server the way an operator does (SIGTERM: a clean shutdown),
   * returns its exit code and signal, and keeps the data directory, so that
   * `start()` can run it again on the same data.
   */
  async shutdown() {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return { code: child?.exitCode ?? null, signal: child?.signalCode ?? null };
    }
    await this.#kill();
    return { code: child.exitCode, signal: child.signalCode };
  }

  /** Stops the server and removes its data directory. */
  async stop() {
    await this.#kill();
    if (process.env.APPCAT_E2E_KEEP === '1') {
      console.log(`# kept data directory ${this.dataDir}`);
    } else {
      await rm(this.dataDir, { recursive: true, force: true });
    }
  }

  /** Calls the API; throws unless the status is `expect`. Returns the parsed JSON (or null). */
  async api(method, p, { token, body, contentType, expect = 200 } = {}) {
    const headers = {};
    if (token) headers['X-Auth-Token'] = token;
    let payload;
    if (body !== undefined) {
      if (typeof body === 'string' || body instanceof Uint8Array) {
        payload = body;
        headers['Content-Type'] = contentType ?? 'application/octet-stream';
      } else {
        payload = JSON.stringify(body);
        headers['Content-Type'] = contentType ?? 'application/json';
      }
    }
    const res = await fetch(this.url(p), { method, headers, body: payload });
    const text = await res.text();
    if (res.status !== expect) {
      throw new Error(`${method} ${p}: expected HTTP ${expect}, got ${res.status}: ${text}`);
    }
    return text ? JSON.parse(text) : null;
  }

  /**
   * Seeds the catalog: tenant acme with alice (tenant admin) and root (catalog
   * admin), one public active heat template and one active but private one.
   */
  async seed() {
    await this.cli('tenant', 'create', 'acme');
    await this.cli('user', 'create', 'alice', '--tenant', 'acme', '--role', 'admin');
    await this.cli('user', 'create', 'root', '--admin');
    await this.cli('user', 'add-to-tenant', 'root', 'acme', '--role', 'admin');
    const token = (out) => out.trim().split('\n').pop().trim();
    const alice = token(await this.cli('token', 'create', '--user', 'alice', '--tenant', 'acme'));
    const root = token(await this.cli('token', 'create', '--user', 'root', '--tenant', 'acme'));
    if (!alice || !root) throw new Error('token create printed no token');

    const template = 'heat_template_version: 2018-08-31\ndescription: e2e\nresources: {}\n';
    const create = async (fields) => {
      const a = await this.api('POST', '/api/v1/artifacts/heat_templates', {
        token: alice,
        body: fields,
        expect: 201,
      });
      const p = `/api/v1/artifacts/heat_templates/${a.id}`;
      await this.api('PUT', `${p}/template`, {
        token: alice,
        body: template,
        contentType: 'application/x-yaml',
      });
      const active = await this.api('PATCH', p, {
        token: alice,
        body: [{ op: 'replace', path: '/status', value: 'active' }],
        contentType: 'application/json-patch+json',
      });
      if (active.status !== 'active') throw new Error(`not activated: ${JSON.stringify(active)}`);
      return active;
    };

    const publicArtifact = await create({
      name: 'hello',
      version: '1.0.0',
      description: 'A minimal Heat stack that says hello.',
      tags: ['demo'],
    });
    const published = await this.api('PATCH', `/api/v1/artifacts/heat_templates/${publicArtifact.id}`, {
      token: root,
      body: [{ op: 'replace', path: '/visibility', value: 'public' }],
      contentType: 'application/json-patch+json',
    });
    if (published.visibility !== 'public') {
      throw new Error(`not published: ${JSON.stringify(published)}`);
    }

    // Active, but never published: anonymous visitors must not see it.
    const privateArtifact = await create({
      name: 'secret-stack',
      version: '2.0.0',
      description: 'Internal only.',
      tags: ['internal'],
    });
    if (privateArtifact.visibility !== 'private') {
      throw new Error(`expected a private artifact: ${JSON.stringify(privateArtifact)}`);
    }

    this.seeded = { tokens: { alice, root }, publicArtifact: published, privateArtifact };
    return this.seeded;
  }
}

/**
 * Creates a temporary data directory and starts a server on it. Options:
 * `env` (extra environment variables for serve and the CLI) and `port` (a
 * fixed port), as for AppcatServer.
 */
export async function startServer(options = {}) {
  checkBuilt();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'appcat-e2e-'));
  const server = new AppcatServer(dataDir, options);
  try {
    return await server.start();
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
}
