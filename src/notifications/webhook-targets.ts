/**
 * Which webhooks hear one run event: the deployment's and the run's spec's, each by its events.
 */
import { eventFiltersOf, type NotifySpec } from '../core/notify';

/** One webhook that hears an event, and when. */
export interface WebhookTarget {
  url: string;
  source: 'deployment' | 'spec';
  /** Which key signs it; null for the default. */
  secretName: string | null;
  /** How long after the event the delivery is due, in ms: a `queued>D` webhook's D, else 0. */
  afterMs: number;
}

/**
 * The webhooks of `deployment` and `spec` that hear `event`, each URL once (the deployment's
 * naming first, so its key signs a URL both name).
 */
export function webhookTargets(event: string, deployment: readonly NotifySpec[], spec: readonly NotifySpec[]): WebhookTarget[] {
  const targets: WebhookTarget[] = [];
  const seen = new Set<string>();
  const from = (webhooks: readonly NotifySpec[], source: WebhookTarget['source']): void => {
    for (const webhook of webhooks) {
      if (seen.has(webhook.url)) continue;
      const filter = eventFiltersOf(webhook).find((f) => f.event === event);
      if (!filter) continue;
      seen.add(webhook.url);
      targets.push({ url: webhook.url, source, secretName: webhook.secret ?? null, afterMs: filter.afterMs ?? 0 });
    }
  };
  from(deployment, 'deployment');
  from(spec, 'spec');
  return targets;
}
