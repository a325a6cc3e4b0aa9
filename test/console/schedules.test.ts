/**
 * The console's schedules: the table at `#/schedules` (pipeline@version, timing, paused with its
 * note, last run with its state), "Run now", pause and unpause from a row (the API agrees), a
 * schedule's page with its recent runs, the run's page linking back to its schedule, and a
 * refused action shown inline; in Debian's headless Chromium against the API on a dev server
 * (Temporal Schedules need one) with a real worker and store (see console.test.ts for the
 * browser's setup). Screenshots go to artifacts/screenshots/ (git-ignored; CI keeps artifacts/).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApi } from '../../src/api/server';
import { createApiToken, StoreTokenVerifier } from '../../src/api/tokens';
import type { PipelineSpec } from '../../src/core/types';
import { eventually } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';
import { devServerEnv } from '../helpers/temporal';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SKIP = process.env.TAPFLOW_SKIP_BROWSER === '1';
/** How long the page gets to show it (the bound of a wait, never what is tested). */
const SEEN = { timeout: 30_000 };
const SCREENSHOTS = join(__dirname, '..', '..', 'artifacts', 'screenshots');
const shot = (p: Page, name: string) => p.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

const NAME = 'console-sched';
const spec: PipelineSpec = { name: NAME, nodes: [{ id: 'only', activity: 'step' }] };
/** Fires every hour (not during the test), active. */
const HOURLY = 'cs-hourly';
/** Follows the latest version, on a cron expression; made paused, with a note. */
const NIGHTLY = 'cs-nightly';

let browser: Browser | undefined;
let app: FastifyInstance | undefined;
let page: Page | undefined;
const pageErrors: string[] = [];

const describeBrowser = SKIP ? describe.skip : describe;
describeBrowser(SKIP ? 'the console shows schedules (skipped: TAPFLOW_SKIP_BROWSER=1)' : 'the console shows and controls schedules', () => {
  beforeAll(() => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing (${CHROMIUM}): run "npm run setup", or set TAPFLOW_SKIP_BROWSER=1`);
  });
  // Before the store rig's hooks: the API's event streams hold a connection of the store's pool.
  afterAll(async () => {
    // A failed test leaves its schedules behind; the dev server goes with the file anyway.
    for (const id of [HOURLY, NIGHTLY]) if (app) await call('DELETE', `/api/schedules/${id}`).catch(() => undefined);
    await browser?.close();
    await app?.close();
  });
  const stack = storeRigPerFile(devServerEnv, 'console-sched');
  let base: string;
  let token: string;
  let readOnly: string;

  beforeAll(async () => {
    token = (await createApiToken(stack.db.pool, { name: 'operator', grants: [{ pipeline: '*', actions: ['admin'] }] })).token;
    readOnly = (await createApiToken(stack.db.pool, { name: 'watcher', grants: [{ pipeline: '*', actions: ['read'] }] })).token;
    app = await buildApi({ client: stack.rig.tf, store: stack.db.pool, tokens: new StoreTokenVerifier(stack.db.pool) });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);

  /** Calls the API as the operator. */
  async function call(method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await app!.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, json: res.json() as Record<string, unknown> };
  }

  /** Opens the console at `hash` in `p`, entering `as` as the token when that tab has none. */
  async function open(p: Page, hash: string, as = token): Promise<void> {
    await p.goto(`${base}/console/${hash}`);
    if ((await p.locator('#token-state').getAttribute('data-set')) !== 'true') {
      await p.locator('#token-input').fill(as);
      await p.locator('#token-input').press('Enter');
    }
  }

  const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  /** Waits until the API says schedule `id` is paused or not. */
  const apiSays = (id: string, paused: boolean) =>
    eventually(`${id} paused=${paused} by the API`, async () => {
      const d = (await call('GET', `/api/schedules/${id}`)).json;
      return d.paused === paused ? d : undefined;
    });

  test('the table, Run now, pause and unpause, the schedule page, the run page linking back', async () => {
    expect((await call('PUT', `/api/pipelines/${NAME}`, spec)).status).toBeLessThan(300);
    expect((await call('POST', '/api/schedules', { id: HOURLY, pipeline: NAME, every: '1h' })).status).toBe(201);
    expect((await call('POST', '/api/schedules', { id: NIGHTLY, pipeline: `${NAME}@latest`, cron: '0 3 * * *', paused: true, note: 'held for the test' })).status).toBe(201);

    const p = page!;
    await open(p, '#/schedules');
    await p.locator('#view-title').filter({ hasText: 'Schedules' }).waitFor(SEEN);
    await p.locator('nav a[data-nav="schedules"][aria-current="page"]').waitFor(SEEN);
    const hourly = p.locator(`#schedules-table tr[data-id="${HOURLY}"]`);
    const nightly = p.locator(`#schedules-table tr[data-id="${NIGHTLY}"]`);
    await hourly.waitFor(SEEN);
    await nightly.waitFor(SEEN);
    await p.locator('#live[data-state="polling"]').waitFor(SEEN);

    // Pipeline@version, timing, paused with its note; no run yet.
    expect(await hourly.locator('td').nth(0).textContent()).toBe(`${NAME}@1`);
    expect(await hourly.locator('td').nth(1).textContent()).toBe('every 1h');
    expect(await hourly.getAttribute('data-paused')).toBe('false');
    expect(await hourly.locator('td.paused').textContent()).toBe('active');
    expect(await hourly.locator('td.last-run').textContent()).toBe('none yet');
    expect(await hourly.locator('td').nth(2).locator('time').count()).toBe(1);
    expect(await nightly.locator('td').nth(0).textContent()).toBe(`${NAME}@latest`);
    expect(await nightly.locator('td').nth(1).textContent()).toBe('cron 0 3 * * *');
    expect(await nightly.getAttribute('data-paused')).toBe('true');
    expect(await nightly.locator('td.paused').textContent()).toMatch(/^paused held for the test$/);
    expect(await hourly.locator('button[data-action="pause"]').getAttribute('aria-label')).toBe(`Pause schedule ${HOURLY}`);
    expect(await nightly.locator('button[data-action="unpause"]').getAttribute('aria-label')).toBe(`Unpause schedule ${NIGHTLY}`);

    // Run now: a run starts; its link and state appear in the row (the step completes quickly).
    await hourly.locator('button[data-action="trigger"]').click();
    await p.locator('#schedules-action-message[data-kind="ok"]').filter({ hasText: `Run now ${HOURLY}: started run ${HOURLY}-` }).waitFor(SEEN);
    const runLink = hourly.locator(`td.last-run a[href^="#/runs/${HOURLY}-"]`);
    await runLink.waitFor(SEEN);
    await hourly.locator('td.last-run .badge').filter({ hasText: /^(running|completed)$/ }).waitFor(SEEN);
    const runId = (await runLink.textContent()) as string;
    await shot(p, 'schedules-table');
    expect(await runLink.getAttribute('href')).toBe(`#/runs/${encodeURIComponent(runId)}`);

    // Pause (with a note, asked for by a dialog), then unpause: the row turns, and the API agrees.
    await hourly.locator('button[data-action="pause"]').click();
    await p.locator('dialog[open] #dialog-field-reason').fill('maintenance window');
    await p.locator('dialog[open] button[type="submit"]').click();
    await p.locator(`#schedules-table tr[data-id="${HOURLY}"][data-paused="true"]`).waitFor(SEEN);
    await hourly.locator('td.paused').filter({ hasText: /^paused maintenance window$/ }).waitFor(SEEN);
    expect(await apiSays(HOURLY, true)).toMatchObject({ paused: true, note: 'maintenance window' });
    await hourly.locator('button[data-action="unpause"]').click();
    await p.locator(`#schedules-table tr[data-id="${HOURLY}"][data-paused="false"]`).waitFor(SEEN);
    await hourly.locator('td.paused').filter({ hasText: exactly('active') }).waitFor(SEEN);
    expect(await apiSays(HOURLY, false)).toMatchObject({ paused: false });
    expect(pageErrors).toEqual([]);

    // The schedule's page: its details and its recent run.
    await hourly.locator(`th a[href="#/schedules/${HOURLY}"]`).click();
    await p.waitForURL((url) => url.hash === `#/schedules/${HOURLY}`, SEEN);
    await p.locator('#view-title').filter({ hasText: `Schedule ${HOURLY}` }).waitFor(SEEN);
    const recent = p.locator(`#recent-runs tr[data-run="${runId}"]`);
    await recent.waitFor(SEEN);
    await recent.locator('.badge').filter({ hasText: /^(running|completed)$/ }).waitFor(SEEN);
    expect(await p.locator('#schedule-pipeline').textContent()).toBe(`${NAME}@1`);
    expect(await p.locator('#schedule-when').textContent()).toBe('every 1h');
    expect(await p.locator('#schedule-overlap').textContent()).toBe('skip');
    expect(await p.locator('#schedule-queue').textContent()).toBe(stack.rig.taskQueue);
    expect(await p.locator('#schedule-counts').textContent()).toMatch(/^1 taken · 0 skipped/);
    expect(JSON.parse((await p.locator('#schedule-input pre').textContent()) as string)).toBeNull();
    expect(await p.locator('#schedule-paused').getAttribute('data-paused')).toBe('false');
    await shot(p, 'schedule-page');

    // The run's page names its schedule, linked back to the schedule's page.
    await recent.locator('a').click();
    await p.waitForURL((url) => url.hash === `#/runs/${encodeURIComponent(runId)}`, SEEN);
    const back = p.locator(`#run-schedule a[href="#/schedules/${HOURLY}"]`);
    await back.filter({ hasText: exactly(`schedule ${HOURLY}`) }).waitFor(SEEN);
    expect(await p.locator('#run-pipeline').textContent()).toBe(`${NAME}@1`);
    await shot(p, 'run-from-schedule');
    await back.click();
    await p.locator('#view-title').filter({ hasText: `Schedule ${HOURLY}` }).waitFor(SEEN);

    // `s` goes to the schedules from anywhere.
    await p.locator('#view-title').focus();
    await p.keyboard.press('s');
    await p.waitForURL((url) => url.hash === '#/schedules', SEEN);
    await hourly.waitFor(SEEN);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  test('an action the token may not take is refused inline and in the banner; the schedules are deleted', async () => {
    const p = await browser!.newPage({ viewport: { width: 1366, height: 768 } });
    try {
      await open(p, `#/schedules/${NIGHTLY}`, readOnly);
      await p.locator('#schedule-paused[data-paused="true"]').waitFor(SEEN);
      await p.locator('button[data-action="unpause"]').click();
      await p.locator('#schedule-action-error').filter({ hasText: new RegExp(`^Unpause ${NIGHTLY} failed \\(403\\): `) }).waitFor(SEEN);
      await p.locator('#banner[data-status="403"]').waitFor(SEEN);
      expect((await call('GET', `/api/schedules/${NIGHTLY}`)).json).toMatchObject({ paused: true, note: 'held for the test' });
    } finally {
      await p.close();
    }
    for (const id of [HOURLY, NIGHTLY]) expect((await call('DELETE', `/api/schedules/${id}`)).json).toEqual({ id, deleted: true });
    expect((await call('GET', '/api/schedules')).json).toEqual({ schedules: [] });
  }, 60_000);
});
