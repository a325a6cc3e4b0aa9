/**
 * The console's run page names a registered pipeline's version where it shows the pipeline
 * (`name@2`), for a run started by name, and just the name for a run started from a spec; in
 * Debian's headless Chromium against the API on a dev server with a real worker and store (see
 * console.test.ts for the browser's setup).
 */
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApi } from '../../src/api/server';
import { createApiToken, StoreTokenVerifier } from '../../src/api/tokens';
import type { PipelineSpec } from '../../src/core/types';
import { storeRigPerFile } from '../helpers/store-rig';
import { devServerEnv } from '../helpers/temporal';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SKIP = process.env.TAPFLOW_SKIP_BROWSER === '1';
/** How long the page gets to show it (the bound of a wait, never what is tested). */
const SEEN = { timeout: 30_000 };

const NAME = 'console-versioned';
const spec = (input: number): PipelineSpec => ({
  name: NAME,
  nodes: [
    { id: 'gate', kind: 'event', event: 'go' },
    { id: 'after', activity: 'step', needs: ['gate'], input: { v: input } },
  ],
});

let browser: Browser | undefined;
let app: FastifyInstance | undefined;
let page: Page | undefined;

const describeBrowser = SKIP ? describe.skip : describe;
describeBrowser(SKIP ? 'the run page names the version (skipped: TAPFLOW_SKIP_BROWSER=1)' : "the run page names a registered pipeline's version", () => {
  beforeAll(() => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing (${CHROMIUM}): run "npm run setup", or set TAPFLOW_SKIP_BROWSER=1`);
  });
  // Before the store rig's hooks: the API's event streams hold a connection of the store's pool.
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
  const stack = storeRigPerFile(devServerEnv, 'console-version');
  let base: string;
  let token: string;

  beforeAll(async () => {
    token = (await createApiToken(stack.db.pool, { name: 'operator', grants: [{ pipeline: '*', actions: ['admin'] }] })).token;
    app = await buildApi({ client: stack.rig.tf, store: stack.db.pool, tokens: new StoreTokenVerifier(stack.db.pool) });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    page = await browser.newPage();
  }, 120_000);

  /** Calls the API as the operator; the answer must be a success. */
  async function call(method: 'PUT' | 'POST', url: string, body: unknown): Promise<Record<string, unknown>> {
    const res = await app!.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload: body as object });
    expect(res.statusCode).toBeLessThan(300);
    return res.json() as Record<string, unknown>;
  }

  async function open(id: string): Promise<Page> {
    const p = page!;
    await p.goto(`${base}/console/#/runs/${encodeURIComponent(id)}`);
    if ((await p.locator('#token-state').getAttribute('data-set')) !== 'true') {
      await p.locator('#token-input').fill(token);
      await p.locator('#token-input').press('Enter');
    }
    return p;
  }

  const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

  test('a run started by name shows name@version, and keeps it through the stream to its end', async () => {
    await call('PUT', `/api/pipelines/${NAME}`, spec(1));
    await call('PUT', `/api/pipelines/${NAME}`, spec(2));
    await call('POST', '/api/runs', { pipeline: NAME, version: 2, id: 'console-by-name' });
    const p = await open('console-by-name');
    await p.locator('#run-pipeline').filter({ hasText: exactly(`${NAME}@2`) }).waitFor(SEEN);
    // The stream's statuses, rebuilt from the store's row, carry the version too: it stays to the end.
    await call('POST', '/api/runs/console-by-name/events/go', {});
    await p.locator('#run-state[data-state="completed"]').waitFor(SEEN);
    expect(await p.locator('#run-pipeline').textContent()).toBe(`${NAME}@2`);
  });

  test('a run started from a spec shows the name alone', async () => {
    await call('POST', '/api/runs', { spec: spec(3), id: 'console-by-spec' });
    const p = await open('console-by-spec');
    await p.locator('#run-state[data-state="running"]').waitFor(SEEN);
    await p.locator('#run-pipeline').filter({ hasText: NAME }).waitFor(SEEN);
    expect(await p.locator('#run-pipeline').textContent()).toBe(NAME);
  });
});
