/**
 * The `tapflow` command line. Exit codes: 0 done; 1 the operation or the run failed; 2 bad input
 * (usage, an invalid spec, an unknown run, a refused action), always with one clear line on
 * stderr and never a stack trace (set TAPFLOW_DEBUG=1 to see one).
 */
import { Command, CommanderError, Option } from 'commander';
import { isTapflowError, type TapflowErrorCode } from '../core/errors';
import { exitOnceStopped } from './exit-once-stopped';
import type { GlobalOptions } from './io';
import { printable } from './printable';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * Builds the command tree; each action resolves to an exit code. Each command's module loads
 * when the command runs, so `tapflow status` never loads the worker's native bridge or the HTTP
 * server, and a part whose optional packages are not installed fails only when used.
 */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('tapflow')
    .description('Pausable, durable pipelines on Temporal')
    .version(require('../../package.json').version as string)
    .showSuggestionAfterError(true)
    // The program's own options (--version, --help) only before a command: after one, each
    // command's options are its own (`runs search --version 3` filters, it does not print ours).
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(printable(s.startsWith('error:') ? `tapflow: ${s.slice(7)}` : s)) });

  const withGlobals = (cmd: Command): Command =>
    cmd
      .option('--json', 'machine-readable output')
      .addOption(new Option('--address <host:port>', 'Temporal address (default: TEMPORAL_ADDRESS or localhost:7233)'))
      .addOption(new Option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or default)'))
      .addOption(new Option('--task-queue <queue>', 'task queue (default: TAPFLOW_TASK_QUEUE or tapflow)'));
  const act =
    <A extends unknown[]>(fn: (...args: A) => number | Promise<number>) =>
    async (...args: A): Promise<void> => {
      setExit(await fn(...args));
    };

  withGlobals(program.command('dev'))
    .description('start a Temporal dev server with Web UI and a worker with the example activities')
    .option('--port <n>', 'Temporal gRPC port', '7233')
    .option('--ui-port <n>', 'Web UI port', '8233')
    .option('--activities <module>', 'a JS module whose exported functions become activities (repeatable)', collect)
    .option('--data-dir <dir>', 'where the dev server keeps its state', '.tapflow')
    .option('--store-port <n>', 'port of the embedded PostgreSQL (unless DATABASE_URL is set)', '7432')
    .option('--api-port <n>', 'port of the HTTP API', '8080')
    .option('--metrics-port <n>', "port of the worker's /metrics, /healthz, /readyz (default 9464, else a free one)")
    .option('--log-json', 'log JSON lines, as `worker` and `api` do, instead of one short line each')
    .action(act(async (opts) => exitOnceStopped(await (await import('./dev')).devCommand(opts))));

  withGlobals(program.command('worker'))
    .description('run a worker: the pipeline workflow, the built-in activities and the given modules')
    .option('--activities <module>', 'a JS module whose exported functions become activities (repeatable)', collect)
    .option('--shutdown-grace <duration>', 'time in-flight activities get to finish after SIGTERM', '30s')
    .option('--max-concurrent <n>', 'most activities run at once', '100')
    .option('--log-level <level>', 'TRACE, DEBUG, INFO, WARN or ERROR (default: TAPFLOW_LOG_LEVEL, else INFO)')
    .option('--metrics-port <n>', 'serve /metrics, /healthz and /readyz on this port (default: not served)')
    .option('--metrics-host <host>', 'interface the metrics port listens on', '0.0.0.0')
    .option('--webhook <url>', 'a webhook told of every run event, signed with TAPFLOW_WEBHOOK_SECRET (repeatable; also TAPFLOW_WEBHOOKS)', collect)
    .option('--webhook-events <list>', 'the events --webhook URLs hear, e.g. failed,held,queued>10m (default: held,failed,completed,cancelled,terminated)')
    .option('--no-migrate', 'do not change the store\'s schema: only check it is current (run "tapflow store migrate" first); default: TAPFLOW_STORE_MIGRATE, else migrate')
    .option('--store-retention <duration>', 'delete the store\'s records of runs that ended longer ago than this, hourly, e.g. 90d (default: TAPFLOW_STORE_RETENTION, else keep them)')
    .action(act(async (opts) => exitOnceStopped(await (await import('./worker')).workerCommand(opts))));

  withGlobals(program.command('api'))
    .description('serve the HTTP API (tokens: "tapflow token create"); OpenAPI at /api/openapi.json')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on', '8080')
    .action(act(async (opts) => (await import('./api')).apiCommand(opts)));

  withGlobals(program.command('setup'))
    .description('install the Temporal CLI and test server into the per-user cache (for an installed package)')
    .option('--force', 'install them again')
    .action(act(async (opts) => (await import('./setup')).setupCommand(opts)));

  withGlobals(program.command('validate <spec>'))
    .description('check a spec: print the order and parallel levels, or every problem')
    .action(act(async (spec: string, opts: GlobalOptions) => (await import('./validate')).validateCommand(spec, opts)));

  withGlobals(program.command('start <spec>'))
    .description('start a run of a spec file, or of a registered pipeline: NAME or NAME@VERSION (when no such file)')
    .option('--input <json>', 'the run input as JSON (or @file.json)')
    .option('--id <id>', 'the run id (default: <pipeline>-<uuid>)')
    .option('--wait', 'wait for the run to finish and print its result')
    .option('--tag <tag>', 'a label to find the run by (repeatable)', collect)
    .option('--group <group>', 'a working group the run belongs to (repeatable)', collect)
    .option('--user <name>', 'who starts the run (default: the OS user)')
    .option('--priority <n>', 'task priority, 1 (first) to 5 (last); default 3')
    .option('--site <site>', 'where the run runs or is meant to run')
    .option('--event <json>', 'what the run is about, as JSON (or @file.json)')
    .option('--timeout <duration>', 'longest the whole run may take, e.g. 2h; then it fails')
    .option('--deadline <duration>', 'longest the run may take not counting time paused (overrides the spec)')
    .option('--on-failure <fail|hold>', 'what a failed node does unless it says: fail the run, or hold it for an operator')
    .option('--allow-unknown-activities', 'start even when a node names an activity no live worker on its task queue hosts')
    .option('--idempotency-key <key>', 'start at most once for this key: a repeat returns the first run (run id <pipeline>-<key> unless --id)')
    .action(act(async (spec: string, opts) => (await import('./start')).startCommand(spec, opts)));

  withGlobals(program.command('status <id>'))
    .description("a run's state, progress and nodes (from the store when Temporal no longer has the run)")
    .action(act(async (id: string, opts: GlobalOptions) => (await import('./status')).statusCommand(id, opts)));

  // One run by ID, or every running run a visibility query matches (src/cli/bulk.ts).
  const withBulk = (cmd: Command): Command =>
    cmd
      .option('--query <query>', "every running run this visibility query matches, e.g. \"TapflowPipeline = 'x'\"")
      .option('--dry-run', 'with --query: list the matching runs, act on none')
      .option('--rate <n>', 'with --query: most actions per second (default: no limit)');

  withBulk(withGlobals(program.command('pause [id]')))
    .description('pause a run (or every run --query matches): no node starts, nodes in flight finish')
    .option('--reason <text>', 'why')
    .option('--user <name>', 'who asks (default: the OS user)')
    .action(act(async (id: string | undefined, opts) => (await import('./bulk')).controlOrBulkCommand('pause', id, opts)));

  withBulk(withGlobals(program.command('resume [id]')))
    .description('resume a paused run (or every run --query matches)')
    .option('--reason <text>', 'why')
    .option('--user <name>', 'who asks (default: the OS user)')
    .action(act(async (id: string | undefined, opts) => (await import('./bulk')).controlOrBulkCommand('resume', id, opts)));

  withBulk(withGlobals(program.command('cancel [id]')))
    .description('cancel a run (or every run --query matches): nodes in flight are cancelled, the run ends cancelled')
    .option('--reason <text>', 'why')
    .option('--user <name>', 'who asks (default: the OS user)')
    .option('--wait', 'wait until the run has ended')
    .action(act(async (id: string | undefined, opts) => (await import('./bulk')).controlOrBulkCommand('cancel', id, opts)));

  withGlobals(program.command('retry <id> <node>'))
    .description('run a held node again, with a fresh retry budget')
    .option('--input <json>', "the node's new input as JSON (or @file.json); default: unchanged")
    .option('--reason <text>', 'why')
    .option('--user <name>', 'who asks (default: the OS user)')
    .action(act(async (id: string, node: string, opts) => (await import('./node-actions')).retryCommand(id, node, opts)));

  withGlobals(program.command('skip <id> <node>'))
    .description('mark a held or pending node done with an output; what needs it goes on')
    .option('--output <json>', 'the output its dependents receive, as JSON (or @file.json); default: null')
    .option('--reason <text>', 'why')
    .option('--user <name>', 'who asks (default: the OS user)')
    .action(act(async (id: string, node: string, opts) => (await import('./node-actions')).skipCommand(id, node, opts)));

  withGlobals(program.command('edit <id> <node>'))
    .description("change a pending node's input while the run is paused (or a held node's)")
    .requiredOption('--input <json>', 'the new input as JSON (or @file.json)')
    .option('--reason <text>', 'why')
    .option('--user <name>', 'who asks (default: the OS user)')
    .action(act(async (id: string, node: string, opts) => (await import('./node-actions')).editCommand(id, node, opts)));

  withGlobals(program.command('rerun <id>'))
    .description('run a node and everything downstream of it again, reusing every other output')
    .requiredOption('--from <node>', 'the node to rerun from')
    .option('--dry-run', 'list what would run again and what is reused; change nothing')
    .option('--id <id>', 'for an ended run: the new run id (default: <pipeline>-<uuid>)')
    .option('--version <version>', 'for an ended run: rerun on this registered version of its pipeline (a number, or latest), reusing only unchanged nodes')
    .option('--reason <text>', 'why')
    .option('--user <name>', 'who asks (default: the OS user)')
    .action(act(async (id: string, opts) => (await import('./rerun')).rerunCommand(id, opts)));

  withGlobals(program.command('send <id> <event>'))
    .description('deliver an event (an approval, a webhook payload) to the nodes waiting for it')
    .option('--data <json>', "the event's data as JSON (or @file.json): the output of the nodes that take it; default: null")
    .option('--reason <text>', 'why')
    .option('--user <name>', 'who sends it (default: the OS user)')
    .action(act(async (id: string, event: string, opts) => (await import('./node-actions')).sendCommand(id, event, opts)));

  withGlobals(program.command('children <id>'))
    .description("the child runs of a run's pipeline nodes, with their states")
    .action(act(async (id: string, opts: GlobalOptions) => (await import('./children')).childrenCommand(id, opts)));

  withGlobals(program.command('list'))
    .description('runs, newest first')
    .option('--state <state>', 'only runs in this state')
    .option('--pipeline <name>', 'only runs of this pipeline')
    .option('--limit <n>', 'most runs shown', '50')
    .action(act(async (opts) => (await import('./list')).listCommand(opts)));

  const runs = program.command('runs').description('runs from the store (kept after Temporal has dropped them)');
  withGlobals(runs.command('search'))
    .description('find runs in the store, newest first, a page at a time')
    .option('--pipeline <name>', 'only runs of this pipeline')
    .option('--version <n>', 'with --pipeline: only runs started from this registered version')
    .option('--schedule <id>', 'only runs this schedule started')
    .option('--state <state>', 'only runs in this state (repeatable: any of them)', collect)
    .option('--tag <tag>', 'only runs carrying this tag (repeatable: all of them)', collect)
    .option('--user <name>', 'only runs started by this user')
    .option('--group <group>', 'only runs in this group (repeatable: all of them)', collect)
    .option('--from <time>', 'created at or after: ISO-8601 (UTC unless an offset is given) or how long ago (2h, 7d)')
    .option('--to <time>', 'created before: ISO-8601 or how long ago')
    .option('--limit <n>', 'most runs on a page (1 to 1000)', '50')
    .option('--after <cursor>', 'the next page: the cursor the previous page printed')
    .action(act(async (opts) => (await import('./runs')).runsSearchCommand(opts)));

  const pipeline = program.command('pipeline').description('registered pipelines: specs kept in the store by name, as numbered versions');
  withGlobals(pipeline.command('push <spec>'))
    .description('validate a spec file and keep it as the next version of its name (the same content: the version it already is)')
    .option('--user <name>', 'who pushes it (default: the OS user)')
    .action(act(async (spec: string, opts) => (await import('./pipeline')).pipelinePushCommand(spec, opts)));
  withGlobals(pipeline.command('list'))
    .description('every registered pipeline: latest version, versions, nodes, pushed at, description')
    .action(act(async (opts: GlobalOptions) => (await import('./pipeline')).pipelineListCommand(opts)));
  withGlobals(pipeline.command('show <ref>'))
    .description("a version (NAME for the latest, NAME@VERSION): its particulars and versions, then its spec as YAML")
    .action(act(async (ref: string, opts: GlobalOptions) => (await import('./pipeline')).pipelineShowCommand(ref, opts)));
  withGlobals(pipeline.command('diff <from> <to>'))
    .description('what changed between two versions (NAME@A NAME@B): nodes added, removed, changed, and pipeline fields')
    .action(act(async (from: string, to: string, opts: GlobalOptions) => (await import('./pipeline')).pipelineDiffCommand(from, to, opts)));

  const schedule = program.command('schedule').description('schedules of registered pipelines, on Temporal Schedules');
  withGlobals(schedule.command('create <id>'))
    .description('start runs of a registered pipeline on a cron expression or an interval; runs are <id>-<scheduled time>')
    .requiredOption('--pipeline <ref>', 'NAME (the latest version now, pinned), NAME@VERSION, or NAME@latest (the latest at each firing)')
    .option('--cron <expr>', 'a cron expression, e.g. "0 3 * * *" (UTC unless it starts with CRON_TZ=<zone>)')
    .option('--every <duration>', 'an interval, e.g. 30s, 15m, 1d')
    .option('--input <json>', "each run's input as JSON (or @file.json)")
    .option('--overlap <policy>', 'while the last run still goes: skip, buffer-one, buffer-all, cancel-other or allow-all', 'skip')
    .option('--catchup-window <duration>', "how late a firing missed while Temporal was down may still start (default: Temporal's, 1 year)")
    .option('--jitter <duration>', 'delay each firing by a random time up to this')
    .option('--paused', 'make it paused')
    .option('--note <text>', 'a note shown with it')
    .option('--tag <tag>', 'a label each run carries (repeatable)', collect)
    .option('--user <name>', 'who the runs are started for (default: the OS user)')
    .option('--priority <n>', 'task priority of its runs, 1 (first) to 5 (last)')
    .option('--timeout <duration>', 'longest each run may take')
    .option('--deadline <duration>', 'longest each run may take not counting time paused')
    .option('--on-failure <fail|hold>', 'what a failed node does unless it says')
    .action(act(async (id: string, opts) => (await import('./schedule')).scheduleCreateCommand(id, opts)));
  withGlobals(schedule.command('list'))
    .description("tapflow's schedules: pipeline and version, timing, next fire time, last run and its state")
    .action(act(async (opts: GlobalOptions) => (await import('./schedule')).scheduleListCommand(opts)));
  withGlobals(schedule.command('describe <id>'))
    .description('one schedule: timing, policies, input, counts, and its recent runs with their states')
    .action(act(async (id: string, opts: GlobalOptions) => (await import('./schedule')).scheduleDescribeCommand(id, opts)));
  withGlobals(schedule.command('pause <id>'))
    .description('stop a schedule firing (its runs go on)')
    .option('--reason <text>', 'why; shown with the schedule')
    .option('--user <name>', 'who pauses it (default: the OS user)')
    .action(act(async (id: string, opts) => (await import('./schedule')).schedulePauseCommand(id, opts)));
  withGlobals(schedule.command('unpause <id>'))
    .description('let a paused schedule fire again (missed firings are not made up)')
    .option('--reason <text>', 'why')
    .option('--user <name>', 'who unpauses it (default: the OS user)')
    .action(act(async (id: string, opts) => (await import('./schedule')).scheduleUnpauseCommand(id, opts)));
  withGlobals(schedule.command('trigger <id>'))
    .description('fire a schedule now, and print the run it started')
    .option('--overlap <policy>', 'if its last run still goes (default: allow-all, start anyway)')
    .action(act(async (id: string, opts) => (await import('./schedule')).scheduleTriggerCommand(id, opts)));
  withGlobals(schedule.command('backfill <id>'))
    .description('start the runs the schedule would have started between two past times')
    .requiredOption('--from <time>', 'ISO-8601 (UTC unless an offset is given) or how long ago (2h, 7d)')
    .requiredOption('--to <time>', 'ISO-8601 or how long ago')
    .option('--overlap <policy>', "when those runs overlap (default: the schedule's policy)")
    .action(act(async (id: string, opts) => (await import('./schedule')).scheduleBackfillCommand(id, opts)));
  withGlobals(schedule.command('delete <id>'))
    .description('delete a schedule (the runs it started are kept)')
    .action(act(async (id: string, opts: GlobalOptions) => (await import('./schedule')).scheduleDeleteCommand(id, opts)));

  const token = program.command('token').description('bearer tokens of the HTTP API, kept hashed in the store');
  withGlobals(token.command('create'))
    .description('make a token and print it; it is shown this once')
    .requiredOption('--name <name>', 'whom the token is for: a person or a service (1 to 200 bytes)')
    .requiredOption('--grant <grants>', 'what it may do: PIPELINE:ACTION[+ACTION...], comma-separated, e.g. thumbnails:read+control,*:read')
    .action(act(async (opts) => (await import('./token')).tokenCreateCommand(opts)));
  withGlobals(token.command('list'))
    .description('every token (never its secret): id, name, grants, created, last used, revoked')
    .action(act(async (opts: GlobalOptions) => (await import('./token')).tokenListCommand(opts)));
  withGlobals(token.command('revoke <id>'))
    .description('revoke a token by its id: from now on it authenticates nothing')
    .action(act(async (id: string, opts: GlobalOptions) => (await import('./token')).tokenRevokeCommand(id, opts)));

  const store = program.command('store').description("the run store's schema, and its own records over time");
  withGlobals(store.command('migrate'))
    .description("apply the store's pending migrations (for stores whose workers may not change the schema); print what was applied and the version")
    .action(act(async (opts: GlobalOptions) => (await import('./store')).storeMigrateCommand(opts)));
  withGlobals(store.command('purge'))
    .description('delete the records of runs that ended more than --older-than ago (never a live run), in batches')
    .option('--older-than <duration>', 'runs that ended more than this long ago, e.g. 90d, 12h (required)')
    .option('--pipeline <name>', 'only runs of this pipeline')
    .option('--dry-run', 'count what would be deleted; delete nothing')
    .option('--batch-size <n>', 'runs deleted per transaction (1 to 10000)', '500')
    .action(act(async (opts) => (await import('./store')).storePurgeCommand(opts)));
  withGlobals(store.command('delete <id>'))
    .description("delete the store's records of one run that has ended (its row, node attempts, outputs, control actions)")
    .action(act(async (id: string, opts: GlobalOptions) => (await import('./store')).storeDeleteCommand(id, opts)));

  withGlobals(program.command('result <id>'))
    .description("a run's result: each final node's output (from the store when Temporal no longer has the run)")
    .option('--wait', 'wait for the run to finish')
    .action(act(async (id: string, opts) => (await import('./result')).resultCommand(id, opts)));

  withGlobals(program.command('watch <id>'))
    .description('live progress until the run ends')
    .option('--interval <ms>', 'refresh interval', '500')
    .action(act(async (id: string, opts) => (await import('./watch')).watchCommand(id, opts)));

  withGlobals(program.command('history <id>'))
    .description("a run's lifecycle, node attempts and control actions from the store, as a timeline")
    .action(act(async (id: string, opts: GlobalOptions) => (await import('./history')).historyCommand(id, opts)));

  withGlobals(program.command('graph <spec-or-id>'))
    .description('the pipeline as a Mermaid flowchart; for a run, nodes coloured by state')
    .action(act(async (target: string, opts: GlobalOptions) => (await import('./graph')).graphCommand(target, opts)));

  return program;
}

/** Runs the command line; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    return report(err);
  }
}

/** What the command line adds to a library error's message: the flag that does what it asks. */
const CLI_HINTS: Partial<Record<TapflowErrorCode, string>> = {
  run_exists: '; choose another --id',
  run_not_finished: '; use --wait to wait for it',
  temporal_unreachable: '; is "tapflow dev" (npm start) running? Otherwise set TEMPORAL_ADDRESS or --address',
  unknown_activity: '\nstart anyway with --allow-unknown-activities (a worker that is not up yet)',
};

function report(err: unknown): number {
  if (process.env.TAPFLOW_DEBUG) console.error(err);
  if (err instanceof CommanderError) {
    // Help and version are "errors" to commander; the text is already printed.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2;
  }
  if (isTapflowError(err)) {
    // Spec problems come one per line; each line stands alone.
    const text = err.message + (CLI_HINTS[err.code] ?? '');
    for (const line of err.exitCode === 2 ? text.split('\n') : [text.replace(/\n/g, ' ')]) process.stderr.write(`tapflow: ${printable(line)}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (/UNAVAILABLE|Failed to connect|ECONNREFUSED|connect.*timed? ?out|Connection refused/i.test(message)) {
    process.stderr.write(
      `tapflow: cannot reach Temporal at ${process.env.TEMPORAL_ADDRESS ?? 'localhost:7233'}: is "tapflow dev" (npm start) running? Set TEMPORAL_ADDRESS or --address otherwise\n`,
    );
    return 1;
  }
  process.stderr.write(`tapflow: ${printable(message.split('\n')[0] ?? '')}\n`);
  return 1;
}
