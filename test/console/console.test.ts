/**
 * The operator console in a real browser: Debian's headless Chromium driven by playwright-core,
 * against the API on a dev server with a real worker and store. An operator enters a token, sees
 * a run appear in the live table, filters it, opens it with the keyboard, pauses it and sees the
 * page turn paused from the event stream (no reload), sees the stream resume after a drop,
 * resumes it with a key, sends the event, and sees it completed with its result; the graph has
 * a box per node coloured by state and the timeline a bar per attempt. A held node is skipped
 * with an output typed as JSON, a refused event is shown inline, a 30-node graph lays out without
 * overlaps, a branch not taken is told apart from a node skipped after it (with its reason and a
 * resolved input), and the page's control rules agree with the API's for every state.
 *
 * Screenshots go to artifacts/screenshots/ (git-ignored; CI keeps artifacts/).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import { apiRoutes, buildApi } from '../../src/api/server';
import { createApiToken, StoreTokenVerifier } from '../../src/api/tokens';
import { retryRefusal, skipRefusal } from '../../src/core/operator-rules';
import { RUN_STATES, type NodeState, type NodeStatus, type RunState } from '../../src/core/states';
import { refusal } from '../../src/core/run-transitions';
import type { PipelineSpec } from '../../src/core/types';
import { eventually } from '../helpers/poll';
import { storeRigPerFile } from '../helpers/store-rig';
import { devServerEnv } from '../helpers/temporal';

/** Where Debian's `chromium` package puts the browser (`npm run setup` installs it). */
const CHROMIUM = '/usr/bin/chromium';
/**
 * Flags this machine's headless Chromium needs (the environment notes): no sandbox as root, no
 * GPU, and no background connections, which the closed network refuses.
 */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = join(__dirname, '..', '..', 'artifacts', 'screenshots');
const SKIP = process.env.TAPFLOW_SKIP_BROWSER === '1';
/** How long the page gets to show what the run did (the bound of a wait, never what is tested). */
const SEEN = { timeout: 30_000 };

const PIPELINE = 'console-demo';
/** Waits for an event; one node fails once before it succeeds, so it has two attempts. */
const flowSpec: PipelineSpec = {
  name: PIPELINE,
  nodes: [
    { id: 'prep', activity: 'step' },
    { id: 'flaky', activity: 'flaky', needs: ['prep'], input: { failures: 1 }, retry: { maximumAttempts: 3, initialInterval: '100ms' } },
    { id: 'gate', kind: 'event', event: 'go', needs: ['prep'] },
    { id: 'after', activity: 'step', needs: ['gate', 'flaky'] },
  ],
} as PipelineSpec;

let browser: Browser | undefined;
let app: FastifyInstance | undefined;
let page: Page | undefined;
/** What the page said: its console, its uncaught errors, and the API's error answers. */
const pageLog: string[] = [];
const pageErrors: string[] = [];

const describeBrowser = SKIP ? describe.skip : describe;
describeBrowser(SKIP ? 'the operator console (skipped: TAPFLOW_SKIP_BROWSER=1)' : 'the operator console in headless Chromium', () => {
  beforeAll(() => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is missing (${CHROMIUM}): run "npm run setup" (it installs Debian's chromium package), or set TAPFLOW_SKIP_BROWSER=1 to skip the console's browser test`);
    }
  });
  // Registered before the store rig's hooks, so it runs first: the API's event streams hold a
  // connection of the store's pool, which cannot end while they are open.
  afterAll(async () => {
    // The page as it was last, beside the screenshots: what a failed wait was waiting on.
    if (page) writeFileSync(join(SCREENSHOTS, '..', 'console-page.html'), await page.content().catch((err: unknown) => String(err)));
    await browser?.close();
    await app?.close();
    if (pageLog.length > 0) writeFileSync(join(SCREENSHOTS, '..', 'console-page.log'), `${pageLog.join('\n')}\n`);
  });
  const stack = storeRigPerFile(devServerEnv, 'console');
  let base: string;
  let token: string;

  beforeAll(async () => {
    token = (await createApiToken(stack.db.pool, { name: 'operator', grants: [{ pipeline: '*', actions: ['admin'] }] })).token;
    app = await buildApi({ client: stack.rig.tf, store: stack.db.pool, tokens: new StoreTokenVerifier(stack.db.pool) });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('console', (m) => pageLog.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (err) => {
      pageErrors.push(err.message);
      pageLog.push(`page error: ${err.stack ?? err.message}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) pageLog.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);

  /** Calls the API as the operator. */
  async function call(method: 'GET' | 'POST', url: string, body?: unknown) {
    const res = await app!.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, json: () => res.json() as Record<string, unknown> };
  }

  async function start(spec: PipelineSpec, id: string, extra: Record<string, unknown> = {}): Promise<void> {
    const res = await call('POST', '/api/runs', { spec, id, ...extra });
    expect(res.status).toBe(201);
  }

  /** Waits until the element `selector` matches has the focus. */
  const focused = (p: Page, selector: string) => p.waitForFunction(`document.activeElement?.matches(${JSON.stringify(selector)}) === true`, null, SEEN);
  /** Opens the console at `hash`, entering the token first when this tab has none. */
  async function openConsole(p: Page, hash: string): Promise<void> {
    await p.goto(`${base}/console/${hash}`);
    if ((await p.locator('#token-state').getAttribute('data-set')) !== 'true') {
      await p.locator('#token-input').fill(token);
      await p.locator('#token-input').press('Enter');
    }
  }
  const shot = (p: Page, name: string) => p.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const runState = (p: Page) => p.locator('#run-state');

  test('the console is served beside the API, and hidden from its document', async () => {
    expect(apiRoutes(app!).filter((r) => !r.url.startsWith('/api/'))).toEqual([]);
    const doc = (await app!.inject({ method: 'GET', url: '/api/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/'))).toEqual([]);
  });

  test('token, live table, filters, run page; pause seen from the stream, resume, event, completed with its result', async () => {
    const p = page!;
    const streamRequests: Request[] = [];
    p.on('request', (r) => {
      if (r.url().includes('/events')) streamRequests.push(r);
    });

    // No token: the page asks for one. A wrong one is refused, and the page says so.
    await p.goto(`${base}/`);
    expect(new URL(p.url()).pathname).toBe('/console/');
    await focused(p, '#token-input');
    await p.locator('#token-input').fill('tf_nosuchid000_c2VjcmV0LW5vdC1zdG9yZWQ');
    await p.keyboard.press('Enter');
    await p.locator('#banner[data-status="403"]').waitFor(SEEN);
    expect(await p.locator('#banner').innerText()).toMatch(/token was refused \(403\).*not valid/);

    // The right token (Enter, from the keyboard): the runs table, live.
    await p.locator('#token-input').fill(token);
    await p.keyboard.press('Enter');
    await p.locator('#runs-table').waitFor(SEEN);
    await p.locator('#live[data-state="open"]').waitFor(SEEN);
    expect(await p.locator('#banner').isHidden()).toBe(true);

    // A run started now appears in the table without a reload, at the top.
    const id = 'console-flow';
    await start(flowSpec, id, { tags: ['nightly', 'demo'] });
    await start({ name: 'console-other', nodes: [{ id: 'only', activity: 'step' }] } as PipelineSpec, 'console-other-run');
    const row = p.locator(`#runs-table tr[data-id="${id}"]`);
    await row.waitFor(SEEN);
    await row.locator('.badge').filter({ hasText: /running|completed/ }).waitFor(SEEN);
    await p.locator('#runs-table tr[data-id="console-other-run"]').waitFor(SEEN);
    await shot(p, 'runs-table');

    // `/` goes to the filters; a filter narrows the table and is kept in the URL.
    await p.keyboard.press('/');
    await focused(p, '#filter-pipeline');
    await p.keyboard.type(PIPELINE);
    await p.locator('#filter-tag').fill('nightly');
    await p.keyboard.press('Enter');
    await p.waitForURL((url) => url.hash === `#/runs?pipeline=${PIPELINE}&tag=nightly`, SEEN);
    await row.waitFor(SEEN);
    await p.locator('#runs-count').filter({ hasText: /^1 run;/ }).waitFor(SEEN);
    expect(await p.locator('#runs-table tr[data-id="console-other-run"]').count()).toBe(0);

    // `j` selects the first row, Enter opens it.
    await p.locator('#view-title').focus();
    await p.keyboard.press('j');
    await p.locator(`#runs-table tr.selected[data-id="${id}"]`).waitFor(SEEN);
    await p.keyboard.press('Enter');
    await p.waitForURL((url) => url.hash === `#/runs/${id}`, SEEN);

    // The run page: waiting on its event, with one graph box per node, each coloured by state
    // (the node that failed once shows completed, and its two attempts).
    await p.locator('.graph-node[data-node="flaky"].state-completed').waitFor(SEEN);
    await p.locator('#nodes-table tr[data-node="flaky"] td.num').filter({ hasText: /^2$/ }).waitFor(SEEN);
    await p.locator('#event-waiting').filter({ hasText: 'go' }).waitFor(SEEN);
    expect(await runState(p).getAttribute('data-state')).toBe('running');
    const boxes = p.locator('.graph-node');
    expect(await boxes.count()).toBe(flowSpec.nodes.length);
    for (const node of flowSpec.nodes) expect(await p.locator(`.graph-node[data-node="${node.id}"]`).getAttribute('class')).toMatch(/\bstate-(pending|running|completed)\b/);
    await p.locator('#resume-button[aria-disabled="true"]').waitFor(SEEN);
    await p.locator('#live[data-state="open"]').waitFor(SEEN);
    await shot(p, 'run-running');

    // Pause: the state changes on the page from the event stream; the page is not reloaded.
    await p.evaluate('window.__sameDocument = true');
    await p.locator('#pause-button').click();
    await p.locator('#run-state[data-state="paused"]').waitFor(SEEN);
    expect(await p.evaluate('window.__sameDocument')).toBe(true);
    await p.locator('.graph-node[data-node="gate"].state-running').waitFor(SEEN);
    await p.locator('#resume-button[aria-disabled="false"]').waitFor(SEEN);
    expect(await p.locator('#pause-button').getAttribute('aria-disabled')).toBe('true');
    await p.locator('#actions-table tr[data-action="pause"]').filter({ hasText: 'operator' }).filter({ hasText: 'accepted' }).waitFor(SEEN);
    await shot(p, 'run-paused');

    // The stream drops (every connection closed); the page reconnects with the last event's id.
    const before = streamRequests.length;
    app!.server.closeAllConnections();
    await p.locator('#live[data-connects="2"][data-state="open"]').waitFor(SEEN);
    const resumed = streamRequests.slice(before).find((r) => r.url().endsWith(`/api/runs/${id}/events`));
    expect(resumed?.headers()['last-event-id']).toMatch(/^\d+$/);

    // `r` resumes: the state comes back to running over the new stream.
    await p.locator('#view-title').focus();
    await p.keyboard.press('r');
    await p.locator('#run-state[data-state="running"]').waitFor(SEEN);
    expect(await p.evaluate('window.__sameDocument')).toBe(true);

    // Send the event from the page: the run completes and its result is shown.
    expect(await p.locator('#event-name').inputValue()).toBe('go');
    await p.locator('#event-data').fill('{"approved": true}');
    await p.locator('#send-event-button').click();
    await p.locator('#run-state[data-state="completed"]').waitFor(SEEN);
    await p.locator('#run-result pre').waitFor(SEEN);
    const result = JSON.parse(await p.locator('#run-result pre').innerText()) as { after?: { upstream?: { gate?: unknown } } };
    expect(result.after?.upstream?.gate).toEqual({ approved: true });
    expect(await p.locator('.graph-node.state-completed').count()).toBe(flowSpec.nodes.length);
    await p.locator('#live[data-state="closed"]').waitFor(SEEN);

    // The timeline: a bar per attempt the store recorded (two for the node that failed once).
    const history = (await call('GET', `/api/runs/${id}/history`)).json() as { attempts: Array<{ nodeId: string; attempt: number }> };
    expect(history.attempts.filter((a) => a.nodeId === 'flaky')).toHaveLength(2);
    await eventually('a bar per attempt', async () => ((await p.locator('.gantt-bar').count()) === history.attempts.length ? true : undefined));
    for (const a of history.attempts) expect(await p.locator(`.gantt-bar[data-node="${a.nodeId}"][data-attempt="${a.attempt}"]`).count()).toBe(1);
    expect(await p.locator('.gantt-span[data-node="gate"]').count()).toBe(1);
    await shot(p, 'run-completed');
    await p.setViewportSize({ width: 1920, height: 1080 });
    await shot(p, 'run-completed-1920');
    await p.setViewportSize({ width: 1366, height: 768 });
  }, 240_000);

  test('a held node skipped with an output typed as JSON; a refused event shown inline; cancel asks first', async () => {
    const p = page!;
    const id = 'console-held';
    await start({ name: PIPELINE, nodes: [{ id: 'check', activity: 'review', input: { review: 'look at it' } }, { id: 'report', activity: 'step', needs: ['check'] }] } as PipelineSpec, id);
    await openConsole(p, `#/runs/${id}`);
    await p.locator('#run-state[data-state="held"]').waitFor(SEEN);
    await p.locator('.graph-node[data-node="check"].state-held').waitFor(SEEN);

    // Resume does not apply to a held run: the button says why, and nothing is sent.
    await p.locator('#resume-button[aria-disabled="true"]').waitFor(SEEN);
    await p.locator('#resume-button').focus();
    await p.keyboard.press('Enter');
    await p.locator('#action-error').filter({ hasText: /the run is held, not paused/ }).waitFor(SEEN);

    // An event no node waits for: the run refuses it (409), and the refusal is shown by the form.
    await p.locator('#event-name').fill('nobody-waits');
    await p.locator('#send-event-button').click();
    await p.locator('#event-error').filter({ hasText: /refused by the run: .*no node of this run waits for event "nobody-waits"/ }).waitFor(SEEN);

    // `?` lists the shortcuts of this page; Escape closes the list.
    await p.locator('#view-title').focus();
    await p.keyboard.press('?');
    await p.locator('#help-dialog[open]').filter({ hasText: 'Pause the run' }).filter({ hasText: 'Show these shortcuts' }).waitFor(SEEN);
    await p.keyboard.press('Escape');
    expect(await p.locator('#help-dialog').count()).toBe(0);

    // `c` asks before cancelling; backing out sends nothing.
    await p.locator('#view-title').focus();
    await p.keyboard.press('c');
    await p.locator('dialog[open]').waitFor(SEEN);
    await p.keyboard.press('Escape');
    expect(await p.locator('dialog').count()).toBe(0);
    expect(await runState(p).getAttribute('data-state')).toBe('held');

    // Skip the held node: the output must be JSON before it is sent.
    const nodeRow = p.locator('#nodes-table tr[data-node="check"]');
    expect(await nodeRow.locator('button[data-action="retry"]').getAttribute('aria-disabled')).toBe('false');
    expect(await p.locator('#nodes-table tr[data-node="report"] button[data-action="retry"]').getAttribute('aria-disabled')).toBe('true');
    await nodeRow.locator('button[data-action="skip"]').click();
    const dialog = p.locator('dialog[open]');
    await dialog.locator('textarea').fill('{"verdict": "fine"');
    await dialog.getByRole('button', { name: 'Skip the node' }).click();
    await dialog.locator('.field-error').filter({ hasText: /not JSON/ }).waitFor(SEEN);
    await dialog.locator('textarea').fill('{"verdict": "fine"}');
    await dialog.getByRole('button', { name: 'Skip the node' }).click();
    await p.locator('#run-state[data-state="completed"]').waitFor(SEEN);
    await p.locator('.graph-node[data-node="check"].state-skipped').waitFor(SEEN);
    // An operator's skip, said as such on the graph and in the row.
    await p.locator('.graph-node[data-node="check"].skip-operator[data-skip-cause="operator"]').waitFor(SEEN);
    await nodeRow.locator('.skip-cause').filter({ hasText: '(operator)' }).waitFor(SEEN);
    const result = JSON.parse(await p.locator('#run-result pre').innerText({ timeout: SEEN.timeout })) as { report?: { upstream?: { check?: unknown } } };
    expect(result.report?.upstream?.check).toEqual({ verdict: 'fine' });
    await p.locator('#actions-table tr[data-action="skip"]').filter({ hasText: 'accepted' }).waitFor(SEEN);
  }, 180_000);

  test('a graph of 30 nodes: a box each, none overlapping, all inside the drawing, whole on a laptop screen', async () => {
    const p = page!;
    const id = 'console-wide';
    const middle = Array.from({ length: 28 }, (_, i) => ({ id: `part-${String(i + 1).padStart(2, '0')}`, activity: 'step', needs: ['split'] }));
    const spec = { name: 'console-wide', nodes: [{ id: 'split', activity: 'step' }, ...middle, { id: 'join', activity: 'step', needs: middle.map((n) => n.id) }] } as PipelineSpec;
    await start(spec, id);
    await openConsole(p, `#/runs/${id}`);
    await p.locator('#run-state[data-state="completed"]').waitFor(SEEN);
    await p.locator('.graph-node[data-node="join"].state-completed').waitFor(SEEN);
    const boxes = await p.locator('.graph-node rect').evaluateAll((rects) =>
      rects.map((r) => {
        const b = (r as unknown as { getBBox(): { x: number; y: number; width: number; height: number } }).getBBox();
        return { x: b.x, y: b.y, w: b.width, h: b.height };
      }),
    );
    expect(boxes).toHaveLength(30);
    const size = await p.locator('svg.graph').evaluate((svg) => ({ w: Number(svg.getAttribute('width')), h: Number(svg.getAttribute('height')) }));
    const overlaps: string[] = [];
    boxes.forEach((a, i) => {
      expect(a.x >= 0 && a.y >= 0 && a.x + a.w <= size.w && a.y + a.h <= size.h).toBe(true);
      boxes.slice(i + 1).forEach((b, j) => {
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) overlaps.push(`${i} and ${i + 1 + j}`);
      });
    });
    expect(overlaps).toEqual([]);
    // Three layers, left to right: the split, the 28 parts, the join.
    const layers = await p.locator('.graph-node').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-layer')));
    expect(layers.filter((l) => l === '1')).toHaveLength(28);
    expect(await p.locator('.graph-node.state-completed').count()).toBe(30);
    // At 1366x768 the whole graph shows without scrolling its box.
    const box = await p.locator('.graph-box').evaluate((el) => ({ sw: el.scrollWidth, cw: el.clientWidth, sh: el.scrollHeight, ch: el.clientHeight }));
    expect(box.sw).toBeLessThanOrEqual(box.cw);
    expect(box.sh).toBeLessThanOrEqual(box.ch);
    await p.locator('.graph-box').scrollIntoViewIfNeeded();
    await p.screenshot({ path: join(SCREENSHOTS, 'graph-30-nodes.png') });
    await p.setViewportSize({ width: 1920, height: 1080 });
    await shot(p, 'graph-30-nodes-1920');
    await p.setViewportSize({ width: 1366, height: 768 });
  }, 120_000);

  test('a map node with every item done shows done, an event node waiting shows waiting, and the progress is the run\'s own', async () => {
    const p = page!;
    const id = 'console-mixed';
    const spec = {
      name: 'console-mixed',
      nodes: [
        { id: 'items', activity: 'range', input: { n: 8 } },
        { id: 'count', kind: 'map', needs: ['items'], over: 'items.items', activity: 'square' },
        { id: 'approve', kind: 'event', event: 'approve', needs: ['items'] },
        { id: 'merge', activity: 'step', needs: ['count', 'approve'] },
      ],
    } as PipelineSpec;
    await start(spec, id);
    await eventually('approve to wait with count done', async () => {
      const st = (await call('GET', `/api/runs/${id}`)).json() as { nodes: NodeStatus[] };
      const node = (n: string) => st.nodes.find((x) => x.id === n);
      return node('count')?.state === 'completed' && node('approve')?.waitingFor === 'approve' ? true : undefined;
    }, { timeoutMs: 30_000 });
    await openConsole(p, `#/runs/${id}`);

    // The map node's items run as child workflows, not as attempts of the node: it shows done
    // because the run says so, with its items counted.
    await p.locator('.graph-node[data-node="count"].state-completed').waitFor(SEEN);
    const countRow = p.locator('#nodes-table tr[data-node="count"]');
    await countRow.locator('.badge.state-completed').waitFor(SEEN);
    expect(await countRow.locator('.items').innerText()).toContain('8/8 items');
    // The event node waits: running, saying for what, in the table and on the graph; not pending.
    const approveRow = p.locator('#nodes-table tr[data-node="approve"]');
    await approveRow.locator('.badge.state-running').waitFor(SEEN);
    expect(await approveRow.locator('.waiting').innerText()).toContain('waits for "approve"');
    await p.locator('.graph-node[data-node="approve"].state-running').waitFor(SEEN);
    expect(await p.locator('.graph-node[data-node="approve"]').getAttribute('aria-label')).toContain('running, waits for approve');
    await p.locator('.graph-node[data-node="merge"].state-pending').waitFor(SEEN);
    // The percentage is the API's: two nodes of four done.
    const api = (await call('GET', `/api/runs/${id}`)).json() as { progress: { percent: number; completed: number; total: number } };
    expect(api.progress).toMatchObject({ completed: 2, total: 4, percent: 50 });
    await p.locator('#run-progress[data-percent="50"]').waitFor(SEEN);
    expect(await p.locator('#run-progress .progress-text').innerText()).toBe('2/4');
    await shot(p, 'run-map-and-event');

    // Once the event is sent, the rest follows on the page.
    await call('POST', `/api/runs/${id}/events/approve`, { data: { ok: true } });
    await p.locator('#run-state[data-state="completed"]').waitFor(SEEN);
    await p.locator('#run-progress[data-percent="100"]').waitFor(SEEN);
    expect(await p.locator('.graph-node.state-completed').count()).toBe(4);
  }, 120_000);

  test('a branch not taken and a node skipped after it are told apart; a resolved input is shown', async () => {
    const p = page!;
    const id = 'console-branches';
    const spec = {
      name: 'console-branches',
      nodes: [
        { id: 'probe', activity: 'step', input: { kind: 'video' } },
        { id: 'video', activity: 'step', needs: ['probe'], when: 'upstream.probe.input.kind == "video"', input: { label: 'clip ${{ upstream.probe.input.kind }}' } },
        { id: 'image', activity: 'step', needs: ['probe'], when: 'upstream.probe.input.kind == "image"' },
        { id: 'thumb', activity: 'step', needs: ['image'] },
        { id: 'publish', activity: 'step', needs: ['video', 'image'], trigger: 'none_failed' },
      ],
    } as PipelineSpec;
    await start(spec, id);
    await openConsole(p, `#/runs/${id}`);
    await p.locator('#run-state[data-state="completed"]').waitFor(SEEN);

    // The condition's skip: its cause by the badge, its reason where an error would be (not as one).
    const image = p.locator('#nodes-table tr[data-node="image"][data-skip-cause="condition"]');
    await image.waitFor(SEEN);
    expect((await image.locator('.skip-cause').innerText()).trim()).toBe('(condition)');
    expect(await image.locator('.skip-reason').innerText()).toBe('condition false');
    // The node after it: skipped by its trigger rule, with the need that did it.
    const thumb = p.locator('#nodes-table tr[data-node="thumb"][data-skip-cause="upstream"]');
    await thumb.waitFor(SEEN);
    expect(await thumb.locator('.skip-reason').innerText()).toBe('need "image" was skipped');
    // On the graph: each cause its own look, the edge into the condition's skip dotted.
    await p.locator('.graph-node[data-node="image"].state-skipped.skip-condition').waitFor(SEEN);
    await p.locator('.graph-node[data-node="thumb"].state-skipped.skip-upstream').waitFor(SEEN);
    expect(await p.locator('.graph-node[data-node="image"] .graph-detail').textContent()).toBe('skipped (condition)');
    expect(await p.locator('.graph-node[data-node="thumb"]').getAttribute('aria-label')).toContain('thumb: skipped (upstream): need "image" was skipped');
    expect(await p.locator('.graph-edge[data-to="image"]').getAttribute('class')).toMatch(/\bgraph-edge-conditional\b/);
    expect(await p.locator('.graph-edge[data-to="thumb"]').getAttribute('class')).not.toMatch(/\bgraph-edge-conditional\b/);
    const look = await p.locator('.graph-node[data-node="image"] rect, .graph-node[data-node="thumb"] rect').evaluateAll((rects) =>
      rects.map((r) => (globalThis as unknown as { getComputedStyle(el: unknown): { stroke: string } }).getComputedStyle(r).stroke),
    );
    expect(look[0]).not.toBe(look[1]);
    expect(await p.locator('.legend li[data-cause="condition"]').innerText()).toBe('skipped (condition)');
    // The input the templates resolved to, behind a disclosure in the node's row.
    const input = p.locator('#nodes-table tr[data-node="video"] details.node-input');
    await input.locator('summary').click();
    expect(JSON.parse(await input.locator('pre').innerText())).toEqual({ label: 'clip video' });
    expect(await p.locator('#nodes-table tr[data-node="probe"] details.node-input').count()).toBe(0);
    await shot(p, 'run-branches');
  }, 120_000);

  test("the page's control rules agree with the API's, for every state", async () => {
    const p = page!;
    await openConsole(p, '');
    const NODE_STATES: NodeState[] = ['pending', 'running', 'completed', 'failed', 'cancelled', 'skipped'];
    const nodesOf = (state: NodeState, held: boolean): NodeStatus[] => [
      { id: 'a', activity: 'step', needs: [], state, attempts: 1, ...(held ? { held: true } : {}) },
      { id: 'b', activity: 'step', needs: ['a'], state: 'pending', attempts: 0 },
    ];
    const cases: Array<{ run: RunState; node: NodeState; held: boolean }> = [];
    for (const run of RUN_STATES) for (const node of NODE_STATES) for (const held of node === 'failed' ? [false, true] : [false]) cases.push({ run, node, held });

    const expected = {
      run: RUN_STATES.map((s) => (['pause', 'resume', 'cancel'] as const).map((a) => refusal(a, s) ?? null)),
      node: cases.map((c) => {
        const view = { state: c.run, nodes: nodesOf(c.node, c.held) };
        return [retryRefusal(view, 'a') ?? null, skipRefusal(view, 'a', null) ?? null, skipRefusal(view, 'zz', null) ?? null];
      }),
    };
    // A string, not a function: the test's compiler would turn the page's import() into require().
    const input = JSON.stringify({ states: RUN_STATES, cases: cases.map((c) => ({ run: c.run, nodes: nodesOf(c.node, c.held) })) });
    const actual = await p.evaluate(`(async () => {
      const rules = await import('/console/js/states.js');
      const { states, cases } = ${input};
      return {
        run: states.map((s) => ['pause', 'resume', 'cancel'].map((a) => rules.runRefusal(a, s) ?? null)),
        node: cases.map((c) => {
          const view = { state: c.run, nodes: c.nodes };
          return [rules.retryRefusal(view, 'a') ?? null, rules.skipRefusal(view, 'a') ?? null, rules.skipRefusal(view, 'zz') ?? null];
        }),
      };
    })()`);
    expect(actual).toEqual(expected);
  });

  test('the page raised no error through all of it', () => {
    expect(pageErrors).toEqual([]);
  });
});
