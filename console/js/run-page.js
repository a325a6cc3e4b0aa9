/**
 * One run's page: its status (state, pipeline and version, the schedule that started it, linked
 * to the schedule's page, progress, reason), the pipeline graph coloured by node state, the
 * timeline of node attempts, the controls, the nodes (a skipped node's cause and reason, a
 * repeated node's round, a templated node's resolved input), the control actions (who did what,
 * and whether the run took it) and the result once it has completed.
 *
 * Data: the status (`GET /api/runs/:id`), the history from the store (attempts and actions), then
 * live from `GET /api/runs/:id/events`: `status` replaces the status, `attempt` and `action`
 * add or update one attempt or action, `end` closes the stream and fetches the result. After a
 * drop the stream resumes with `Last-Event-ID`, so nothing is missed.
 *
 * Node states and progress are the run's own, as its status has them (see live-nodes.js): the
 * same as `tapflow status` and the API. The store's row, which the stream's `status` events
 * carry, may trail the run by a moment, so each change the stream announces also reads the run's
 * live status again (`GET /api/runs/:id`, at most one read in flight and one every
 * {@link REFRESH_GAP_MS}), and the page shows the live answer, falling back to the stream's when
 * the API cannot read the run.
 * @module run-page
 */
import { h, replaceChildren } from './dom.js';
import { formatClock, formatDateTime, formatDuration, prettyJson } from './format.js';
import { runPath } from './api-client.js';
import { scheduleHash } from './hash-route.js';
import { createGraphView, graphLegend } from './graph-svg.js';
import { createTimeline } from './gantt.js';
import { createRunControls } from './run-controls.js';
import { progressBar, stateBadge } from './runs-table.js';
import { openEventStream } from './sse-reader.js';
import { isFinal, nodeLook, skipCauseOf, SKIP_HELP } from './states.js';
import { createShapeMemory, progressOf, withAttempts } from './live-nodes.js';

/** How often, and how many times, a completed run's result is asked for while its workflow closes. */
const RESULT_RETRY_MS = 500;
const RESULT_TRIES = 20;
/** Least time between two reads of the run's live status, whatever the stream announces. */
const REFRESH_GAP_MS = 250;

function section(id, title, ...children) {
  return h('section', { class: `panel ${id}`, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...children);
}

/**
 * Mounts the page of run `id` in `root`.
 * @param {HTMLElement} root
 * @param {{
 *   api: ReturnType<typeof import('./api-client.js').createApiClient>,
 *   id: string,
 *   backHash: string,
 *   onError: (err: unknown) => void,
 *   onLive: (state: string, detail?: unknown) => void,
 * }} deps
 * @returns {{ unmount(): void, pause(): void, resume(): void, cancel(): void }}
 */
export function mountRunView(root, { api, id, backHash, onError, onLive }) {
  let status;
  /** @type {Map<string, object>} attempts by `node#attempt` */
  const attempts = new Map();
  /** @type {Map<number, object>} control actions by id */
  const actions = new Map();
  let resultState = 'none';
  /**
   * The registered version the run was started from, once any answer has said (the live status,
   * the stream's status rebuilt from the store's row, the history's row). Kept, so the head does
   * not lose it to a status without it (one from a server older than the registry): it never
   * changes.
   */
  let pipelineVersion;
  /** The schedule that started the run, once any answer has said (kept, as the version is). */
  let scheduleId;
  /** Each node's kind and activity, as far as any status has said. */
  const shaped = createShapeMemory();
  let closed = false;

  const controls = createRunControls({ api, id, onAuthError: onError });
  const graph = createGraphView({ onPick: (nodeId) => pickNode(nodeId) });
  const timeline = createTimeline();

  const stateCell = h('dd', { id: 'run-state', 'aria-live': 'polite' });
  const pipelineCell = h('dd', { id: 'run-pipeline' });
  const scheduleCell = h('dd', { id: 'run-schedule' });
  const scheduleRow = h('div', { hidden: true }, h('dt', {}, 'Started by'), scheduleCell);
  const progressCell = h('dd', { id: 'run-progress' });
  const startedCell = h('dd');
  const finishedCell = h('dd');
  const reasonCell = h('dd', { id: 'run-reason' });
  const reasonRow = h('div', { hidden: true }, h('dt', {}, 'Reason'), reasonCell);
  const facts = h(
    'dl',
    { class: 'facts' },
    h('div', {}, h('dt', {}, 'State'), stateCell),
    h('div', {}, h('dt', {}, 'Pipeline'), pipelineCell),
    scheduleRow,
    h('div', { class: 'wide' }, h('dt', {}, 'Progress'), progressCell),
    h('div', {}, h('dt', {}, 'Started'), startedCell),
    h('div', {}, h('dt', {}, 'Finished'), finishedCell),
    reasonRow,
  );

  const nodesBody = h('tbody');
  /** @type {Map<string, HTMLTableRowElement>} */
  const nodeRows = new Map();
  const nodesTable = h(
    'table',
    { class: 'nodes', id: 'nodes-table' },
    h('caption', { class: 'sr-only' }, 'Nodes of the run, their state and what can be done to each'),
    h('thead', {}, h('tr', {}, ['Node', 'Runs', 'State', 'Attempts', 'Started', 'Took', 'Error / reason', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
    nodesBody,
  );
  const actionsBody = h('tbody');
  const actionsTable = h(
    'table',
    { class: 'actions', id: 'actions-table' },
    h('caption', { class: 'sr-only' }, 'Control actions taken on the run, oldest first'),
    h('thead', {}, h('tr', {}, ['When', 'Action', 'Node', 'By', 'Reason', 'Answer'].map((c) => h('th', { scope: 'col' }, c)))),
    actionsBody,
  );
  const historyNote = h('p', { class: 'muted', hidden: true });
  const resultBox = h('div', { id: 'run-result', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading…'));

  replaceChildren(
    root,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: backHash }, '← Runs')),
    h(
      'header',
      { class: 'run-head panel' },
      h('h1', { tabindex: -1, id: 'view-title' }, h('span', { class: 'muted' }, 'Run '), h('code', {}, id)),
      facts,
      controls.toolbar,
    ),
    section('graph', 'Graph', graphLegend(), graph.element),
    section('timeline', 'Timeline', timeline.element),
    h(
      'div',
      { class: 'columns' },
      section('nodes', 'Nodes', h('div', { class: 'table-box' }, nodesTable), ...controls.nodeFeedback),
      section('events', 'Events', controls.eventForm, h('h3', {}, 'Control actions'), historyNote, h('div', { class: 'table-box' }, actionsTable)),
    ),
    section('result', 'Result', resultBox),
  );

  function pickNode(nodeId) {
    const tr = nodeRows.get(nodeId);
    if (!tr) return;
    for (const other of nodeRows.values()) other.classList.toggle('picked', other === tr);
    tr.scrollIntoView({ block: 'nearest' });
    (tr.querySelector('button[aria-disabled="false"]') ?? tr).focus();
  }

  /** @type {Map<string, HTMLTableCellElement[]>} each node row's cells but the actions (kept, so a focused button stays focused) */
  const nodeCells = new Map();
  function renderNodes(view) {
    for (const node of view.nodes) {
      let tr = nodeRows.get(node.id);
      if (!tr) {
        const cells = [h('th', { scope: 'row' }, node.id), h('td'), h('td'), h('td', { class: 'num' }), h('td', { class: 'nowrap' }), h('td', { class: 'nowrap' }), h('td', { class: 'error-text' })];
        tr = h('tr', { 'data-node': node.id, tabindex: -1 }, cells, h('td', {}, controls.nodeActions(node.id)));
        nodeRows.set(node.id, tr);
        nodeCells.set(node.id, cells);
        nodesBody.append(tr);
      }
      const [, whatCell, stateCellOfNode, attemptsCell, startedCellOfNode, tookCell, errorCell] = nodeCells.get(node.id);
      const look = nodeLook(node);
      const cause = skipCauseOf(node);
      tr.dataset.state = look;
      if (cause) tr.dataset.skipCause = cause;
      else delete tr.dataset.skipCause;
      const took = node.startedAt && node.finishedAt ? formatDuration(new Date(node.finishedAt) - new Date(node.startedAt)) : '';
      renderWhat(whatCell, node);
      replaceChildren(
        stateCellOfNode,
        h('span', { class: `badge state-${look}` }, look),
        // The cause beside the badge (the row's words for it in the Error column).
        cause ? h('span', { class: 'muted skip-cause', title: SKIP_HELP[cause] ?? '' }, ` (${cause})`) : null,
        node.round ? h('span', { class: 'muted round' }, ` round ${node.round}`) : null,
        node.waitingFor ? h('span', { class: 'muted waiting' }, ` waits for "${node.waitingFor}"`) : null,
        node.items ? h('span', { class: 'muted items' }, ` ${node.items.done}/${node.items.total} items`) : null,
      );
      attemptsCell.textContent = String(node.attempts ?? 0);
      replaceChildren(startedCellOfNode, node.startedAt ? h('time', { datetime: node.startedAt, title: formatDateTime(node.startedAt) }, formatClock(new Date(node.startedAt).getTime())) : '');
      tookCell.textContent = took;
      // A skipped node has no error; why it did not run goes where an error would, not in red.
      if (node.error) replaceChildren(errorCell, node.error);
      else if (node.state === 'skipped' && node.skipReason) replaceChildren(errorCell, h('span', { class: 'muted skip-reason' }, node.skipReason));
      else replaceChildren(errorCell);
    }
  }

  /** Each node's resolved input as last drawn, so an open disclosure is not rebuilt (and closed) by every status. */
  const shownInputs = new Map();
  /**
   * The Runs cell: what the node runs, and the input it was called with when its spec's input held
   * templates (the status has `input` then), behind a disclosure so the table stays one line a node.
   */
  function renderWhat(cell, node) {
    const what = node.kind ? `${node.kind}${node.activity && node.activity !== node.kind ? ` (${node.activity})` : ''}` : node.activity ?? '';
    const input = node.input === undefined ? undefined : prettyJson(node.input);
    const key = `${what}\u0000${input ?? ''}`;
    if (shownInputs.get(node.id) === key) return;
    shownInputs.set(node.id, key);
    replaceChildren(
      cell,
      what,
      input === undefined
        ? null
        : h('details', { class: 'node-input' }, h('summary', {}, 'input'), h('pre', { class: 'json', tabindex: 0, 'aria-label': `Resolved input of ${node.id} as JSON` }, input)),
    );
  }

  function renderHead(view) {
    replaceChildren(stateCell, stateBadge(status.state));
    stateCell.dataset.state = status.state;
    notePipelineVersion(status.pipelineVersion);
    // `media@3`, as `tapflow start media@3` names it; just the name for a run started from a spec.
    pipelineCell.textContent = pipelineVersion ? `${status.pipeline}@${pipelineVersion}` : status.pipeline;
    noteScheduleId(status.scheduleId);
    const p = view.progress;
    progressCell.dataset.percent = String(p.percent);
    replaceChildren(
      progressCell,
      progressBar(p, status.state),
      h('span', { class: 'muted' }, ` ${p.percent}% · ${p.running} running · ${p.failed} failed${p.skipped ? ` · ${p.skipped} skipped` : ''}`),
    );
    startedCell.textContent = formatDateTime(status.startedAt);
    finishedCell.textContent = formatDateTime(status.finishedAt) || '—';
    reasonCell.textContent = status.reason ?? '';
    reasonRow.hidden = !status.reason;
    document.title = `${status.state} · ${id} · tapflow`;
  }

  /** Keeps the run's registered version when `version` is one (a status or the store's row may have none). */
  function notePipelineVersion(version) {
    if (Number.isInteger(version) && version >= 1) pipelineVersion = version;
  }

  /** Shows the schedule that started the run, linked to its page, once an answer names it. */
  function noteScheduleId(id) {
    if (typeof id !== 'string' || !id || id === scheduleId) return;
    scheduleId = id;
    replaceChildren(scheduleCell, h('a', { href: scheduleHash(id) }, `schedule ${id}`));
    scheduleRow.hidden = false;
  }

  function renderActions() {
    const list = [...actions.values()].sort((a, b) => new Date(a.requestedAt) - new Date(b.requestedAt) || a.id - b.id);
    replaceChildren(
      actionsBody,
      list.length === 0
        ? h('tr', { class: 'empty' }, h('td', { colspan: 6 }, 'No control action yet.'))
        : list.map((a) =>
            h(
              'tr',
              { 'data-action': a.action, 'data-id': a.id },
              h('td', {}, h('time', { datetime: a.requestedAt }, formatDateTime(a.requestedAt))),
              h('td', {}, a.action),
              h('td', {}, a.nodeId ?? ''),
              h('td', {}, a.requestedBy ?? ''),
              h('td', {}, a.reason ?? ''),
              h('td', {}, a.accepted === true ? 'accepted' : a.accepted === false ? `refused: ${a.refusal ?? ''}` : '…'),
            ),
          ),
    );
  }

  function renderTimeline() {
    timeline.update([...attempts.values()], status ? shaped(status.nodes) : []);
  }

  /** After an attempt changed: everything that shows node states. */
  function renderAttempts() {
    if (!status) return renderTimeline();
    const view = current();
    renderHead(view);
    renderNodes(view);
    controls.update(view);
    graph.update(view.nodes);
    renderTimeline();
  }

  /** The status as the run has it, with the detail the attempts add (never a node's state). */
  function current() {
    const nodes = withAttempts(shaped(status.nodes), attempts.values());
    return { ...status, nodes, progress: progressOf(status.progress, nodes) };
  }

  /**
   * Takes a status: the live one (`GET /api/runs/:id`) or the stream's (the store's row). A run
   * that has ended stays ended: an answer read before the end and arriving after it is dropped.
   */
  function take(next) {
    if (status && isFinal(status.state) && !isFinal(next.state)) return;
    status = next;
    render();
  }

  /** Whether the last read of the live status answered: the page then shows live answers. */
  let liveAnswers = false;
  let refreshing = false;
  let refreshAgain = false;
  let lastRefresh = 0;
  /** Reads the run's live status again: after each change the stream announces. */
  function refresh() {
    if (closed || (status && isFinal(status.state))) return;
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    setTimeout(async () => {
      lastRefresh = Date.now();
      try {
        const live = await api.get(runPath(id));
        liveAnswers = true;
        shaped(live.nodes ?? []);
        if (!closed) take(live);
      } catch (err) {
        liveAnswers = false;
        if (err?.isAuth) onError(err);
      }
      refreshing = false;
      if (refreshAgain) {
        refreshAgain = false;
        refresh();
      }
    }, Math.max(0, lastRefresh + REFRESH_GAP_MS - Date.now()));
  }

  function render() {
    if (!status) return;
    const view = current();
    renderHead(view);
    renderNodes(view);
    controls.update(view);
    graph.update(view.nodes);
    renderTimeline();
    if (isFinal(status.state)) void loadResult();
    else if (resultState === 'none') replaceChildren(resultBox, h('p', { class: 'muted' }, 'The result is here once the run has completed.'));
  }

  async function loadResult() {
    if (resultState !== 'none') return;
    resultState = 'loading';
    for (let tries = 1; !closed; tries += 1) {
      try {
        const { result } = await api.get(runPath(id, '/result'));
        resultState = 'shown';
        replaceChildren(resultBox, h('pre', { class: 'json', tabindex: 0, 'aria-label': 'Result as JSON' }, prettyJson(result)));
        return;
      } catch (err) {
        // A run reports completed a moment before its workflow closes with the result.
        if (err?.status === 409 && status?.state === 'completed' && tries < RESULT_TRIES) {
          await new Promise((resolve) => setTimeout(resolve, RESULT_RETRY_MS));
          continue;
        }
        resultState = 'shown';
        if (err?.isAuth) onError(err);
        replaceChildren(resultBox, h('p', { class: 'error', role: 'alert', id: 'result-error' }, `No result: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
    }
  }

  /**
   * Once the run has ended: reads the history again while the store has fewer attempts of a node
   * than the run's final status counts (the worker records an attempt's end a moment after the
   * run may have ended, and the stream closes at the end).
   */
  async function settleHistory() {
    const lacking = () =>
      (status?.nodes ?? []).some((n) => !n.kind && (n.attempts ?? 0) > [...attempts.values()].filter((a) => a.nodeId === n.id).length);
    for (let tries = 0; tries < 20 && !closed && lacking(); tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, tries === 0 ? 0 : 500));
      try {
        const history = await api.get(runPath(id, '/history'));
        for (const a of history.attempts ?? []) putAttempt(a);
        for (const a of history.controlActions ?? []) putAction(a);
      } catch {
        return;
      }
      renderAttempts();
      renderActions();
    }
  }

  /** Keeps the newer of two records of one attempt: a final outcome is not taken back by a late `running`. */
  function putAttempt(a) {
    const key = `${a.nodeId}#${a.attempt}`;
    const known = attempts.get(key);
    if (known && known.outcome !== 'running' && a.outcome === 'running') return;
    attempts.set(key, { ...known, ...a });
  }
  function putAction(a) {
    const known = actions.get(a.id);
    actions.set(a.id, known && a.accepted === null ? { ...a, accepted: known.accepted, refusal: known.refusal } : a);
  }

  let historyLoaded = false;
  const early = [];
  function onStreamEvent(event) {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return undefined;
    }
    if (!historyLoaded && (event.type === 'attempt' || event.type === 'action')) {
      early.push(event);
      return undefined;
    }
    switch (event.type) {
      case 'status':
        // The store's row may trail the run: while the live status answers, it is the one shown,
        // read again now; the stream's is shown when there is no other, and once the run has ended.
        if (!status || !liveAnswers || isFinal(data.state)) take(data);
        refresh();
        return undefined;
      case 'attempt':
        putAttempt(data);
        renderAttempts();
        refresh();
        return undefined;
      case 'action':
        putAction(data);
        renderActions();
        return undefined;
      case 'end':
        // The last status came before `end`; ask once more in case this stream began at the end.
        if (!status || !isFinal(status.state)) {
          void api.get(runPath(id)).then((s) => {
            status = s;
            render();
            void settleHistory();
          }, onError);
        } else void settleHistory();
        return false;
      default:
        return undefined;
    }
  }

  // The stream opens first so that no change falls between the history and the stream; attempts
  // and actions it sends before the history is in are applied after it.
  const stream = openEventStream({
    url: `${api.baseUrl}${runPath(id, '/events')}`,
    headers: () => api.headers(),
    onEvent: onStreamEvent,
    onState: (state, detail) => {
      onLive(state, detail);
      if (state === 'failed') onError(detail);
    },
  });

  void (async () => {
    try {
      lastRefresh = Date.now();
      const first = await api.get(runPath(id));
      liveAnswers = true;
      // Temporal's live answer knows each node's kind even when the stream's first status does
      // not, and is as new as the run: it replaces a status the stream sent first.
      shaped(first.nodes ?? []);
      take(first);
    } catch (err) {
      onError(err);
    }
    try {
      const history = await api.get(runPath(id, '/history'));
      notePipelineVersion(history.run?.pipelineVersion);
      noteScheduleId(history.run?.scheduleId);
      for (const a of history.attempts ?? []) putAttempt(a);
      for (const a of history.controlActions ?? []) putAction(a);
    } catch (err) {
      if (err?.isAuth) onError(err);
      historyNote.textContent = `The store's history is not available: ${err instanceof Error ? err.message : String(err)}`;
      historyNote.hidden = false;
    }
    historyLoaded = true;
    for (const event of early.splice(0)) onStreamEvent(event);
    renderActions();
    renderAttempts();
  })();

  // Running bars grow while anything runs.
  const ticker = setInterval(() => timeline.tick(), 1000);

  return {
    unmount() {
      closed = true;
      clearInterval(ticker);
      stream.close();
    },
    pause: () => void controls.pause(),
    resume: () => void controls.resume(),
    cancel: () => void controls.cancel(),
  };
}
