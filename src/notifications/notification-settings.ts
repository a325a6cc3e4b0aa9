/**
 * A deployment's notification settings: its own webhooks, its signing keys, the console's
 * address, and how deliveries are retried. Read from the environment and the worker's flags by
 * {@link notificationSettingsFromEnv}, or given to `createWorker` as they are.
 */
import { UsageError } from '../core/errors';
import { checkNotifyList, parseEventFilter, type NotifySpec } from '../core/notify';
import { formatProblem, type SpecProblem } from '../core/validate';
import type { RetrySchedule } from './retry-schedule';

/** What a worker that delivers notifications is told (`createWorker`'s `notifications`). */
export interface NotificationSettings {
  /**
   * The deployment's webhooks: they hear the events they name of every run, whatever its spec
   * says. Default: none (only the specs' `notify` webhooks are told).
   */
  webhooks?: NotifySpec[];
  /** The default signing key (`TAPFLOW_WEBHOOK_SECRET`): signs every webhook that names no `secret`. */
  secret?: string;
  /** Named signing keys (`TAPFLOW_WEBHOOK_SECRET_<NAME>`), by name: what a webhook's `secret: "NAME"` picks. */
  secrets?: Record<string, string>;
  /**
   * The address people open tapflow's API and console at (`TAPFLOW_CONSOLE_URL`, e.g.
   * `https://tapflow.example.com`): each payload's `consoleUrl` is
   * `<consoleUrl>/console/#/runs/<run id>`. Default: none (`consoleUrl` is null).
   */
  consoleUrl?: string;
  /** How failed deliveries are retried. Default: `DEFAULT_RETRY_SCHEDULE` (10 attempts over about 7.5 h). */
  retry?: Partial<RetrySchedule>;
  /** How long one POST may take, in ms. Default: 10,000. */
  timeoutMs?: number;
  /** How often the store is asked for new events and due deliveries when idle, in ms. Default: 1,000. */
  pollMs?: number;
  /** Most deliveries one worker sends at once. Default: 16. */
  concurrency?: number;
  /**
   * Events older than this when first seen are not delivered, in ms: a worker that starts
   * delivering after a long pause does not send a day's old news. Default: 86,400,000 (24 h).
   */
  maxEventAgeMs?: number;
}

/** The environment variable naming the deployment's webhooks. */
export const WEBHOOKS_ENV = 'TAPFLOW_WEBHOOKS';
/** The environment variable of the default signing key. */
export const SECRET_ENV = 'TAPFLOW_WEBHOOK_SECRET';
/** The environment variable of the events plain webhook URLs hear. */
export const EVENTS_ENV = 'TAPFLOW_WEBHOOK_EVENTS';
/** The environment variable of the console's address. */
export const CONSOLE_URL_ENV = 'TAPFLOW_CONSOLE_URL';

/** Flags of `tapflow worker` that name webhooks. */
export interface WebhookFlags {
  /** `--webhook URL`, repeatable. */
  webhooks?: string[];
  /** `--webhook-events LIST`: comma-separated events for the plain URLs (flags and `TAPFLOW_WEBHOOKS`). */
  webhookEvents?: string;
}

/**
 * The settings a worker's environment and flags give, or `undefined` when they name no webhook
 * and no signing key (that worker delivers no notifications).
 *
 * - `--webhook URL` (repeatable) and `TAPFLOW_WEBHOOKS`: either URLs separated by spaces, or a
 *   JSON array of webhooks as a spec's `notify` names them (`[{"url": ..., "events": [...], "secret": "NAME"}]`);
 * - `--webhook-events`, else `TAPFLOW_WEBHOOK_EVENTS`: the events of the plain URLs, comma-separated;
 * - `TAPFLOW_WEBHOOK_SECRET`: the default key; `TAPFLOW_WEBHOOK_SECRET_<NAME>`: named keys;
 * - `TAPFLOW_CONSOLE_URL`: the console's address.
 *
 * @throws {UsageError} listing every problem: a webhook that is not valid, events that are not, a
 *   webhook with no key to sign it.
 */
export function notificationSettingsFromEnv(env: NodeJS.ProcessEnv = process.env, flags: WebhookFlags = {}): NotificationSettings | undefined {
  const problems: SpecProblem[] = [];
  const add = (path: string, message: string): void => {
    problems.push({ path, message });
  };
  const eventsText = flags.webhookEvents ?? env[EVENTS_ENV];
  const eventsWhere = flags.webhookEvents !== undefined ? '--webhook-events' : EVENTS_ENV;
  const events = eventsText === undefined ? undefined : eventsText.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const plain = (url: string): NotifySpec => (events ? { url, events } : { url });

  const fromFlags = (flags.webhooks ?? []).map(plain);
  checkNotifyList(fromFlags, '--webhook', add);
  const envText = env[WEBHOOKS_ENV]?.trim() ?? '';
  let fromEnv: NotifySpec[] = [];
  if (envText.startsWith('[')) {
    try {
      fromEnv = JSON.parse(envText) as NotifySpec[];
      checkNotifyList(fromEnv, WEBHOOKS_ENV, add);
    } catch (err) {
      add(WEBHOOKS_ENV, `is not JSON: ${(err as Error).message}`);
    }
  } else if (envText !== '') {
    fromEnv = envText.split(/\s+/).map(plain);
    checkNotifyList(fromEnv, WEBHOOKS_ENV, add);
  }
  // Said once, at the flag or variable that named them, not once per webhook.
  if (events !== undefined && problems.every((p) => !p.path.endsWith('.events') && !/\.events\[/.test(p.path))) {
    for (const event of events) {
      const filter = parseEventFilter(event);
      if ('problem' in filter) add(eventsWhere, filter.problem);
    }
  }
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(`${SECRET_ENV}_`) && value) secrets[name.slice(SECRET_ENV.length + 1)] = value;
  }
  const secret = env[SECRET_ENV] || undefined;
  const seen = new Set<string>();
  const webhooks = [...fromFlags, ...fromEnv].filter((w) => (seen.has(w.url) ? false : (seen.add(w.url), true)));
  if (problems.length > 0) throw new UsageError(`webhooks: ${problems.map(formatProblem).join('; ')}`);
  if (webhooks.length === 0 && secret === undefined && Object.keys(secrets).length === 0) return undefined;
  const settings: NotificationSettings = {
    webhooks,
    ...(secret !== undefined ? { secret } : {}),
    secrets,
    ...(env[CONSOLE_URL_ENV] ? { consoleUrl: env[CONSOLE_URL_ENV] } : {}),
  };
  checkNotificationSettings(settings);
  return settings;
}

/**
 * Checks settings given to `createWorker`: every deployment webhook must be valid and have a key
 * to sign it, and the console's address must be a URL.
 *
 * @throws {UsageError} naming every problem.
 */
export function checkNotificationSettings(settings: NotificationSettings): void {
  const problems: string[] = [];
  checkNotifyList(settings.webhooks ?? [], 'webhooks', (path, message) => problems.push(`${path}: ${message}`));
  (settings.webhooks ?? []).forEach((webhook, i) => {
    if (webhook.secret === undefined && !settings.secret) {
      problems.push(`webhooks[${i}]: no key to sign it: set ${SECRET_ENV} (or give it a "secret" name and set ${SECRET_ENV}_<NAME>)`);
    } else if (webhook.secret !== undefined && !settings.secrets?.[webhook.secret]) {
      problems.push(`webhooks[${i}].secret: no key named "${webhook.secret}": set ${SECRET_ENV}_${webhook.secret}`);
    }
  });
  if (settings.consoleUrl !== undefined && !/^https?:\/\/\S+$/i.test(settings.consoleUrl)) {
    problems.push(`consoleUrl: "${settings.consoleUrl}" is not an http:// or https:// URL`);
  }
  for (const [field, value] of Object.entries({ timeoutMs: settings.timeoutMs, pollMs: settings.pollMs, concurrency: settings.concurrency, maxEventAgeMs: settings.maxEventAgeMs })) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) problems.push(`${field}: must be a whole number of at least 1`);
  }
  const retry = settings.retry ?? {};
  if (retry.maxAttempts !== undefined && !(Number.isInteger(retry.maxAttempts) && retry.maxAttempts >= 1)) problems.push('retry.maxAttempts: must be a whole number of at least 1');
  if (retry.factor !== undefined && !(retry.factor >= 1)) problems.push('retry.factor: must be at least 1');
  if (retry.jitter !== undefined && !(retry.jitter >= 0 && retry.jitter < 1)) problems.push('retry.jitter: must be from 0 to less than 1');
  for (const field of ['initialMs', 'maxMs'] as const) {
    const v = retry[field];
    if (v !== undefined && !(Number.isFinite(v) && v >= 1)) problems.push(`retry.${field}: must be at least 1 ms`);
  }
  if (problems.length > 0) throw new UsageError(`notifications: ${problems.join('; ')}`);
}
