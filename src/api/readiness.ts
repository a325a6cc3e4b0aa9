/**
 * The API's readiness, `GET /readyz`: 200 when Temporal answers (its system info) and the run
 * store answers `SELECT 1` (when the API has one); otherwise 503, saying which did not and why.
 * Liveness is `/healthz` (the process serves at all). While the API drains after SIGTERM, Fastify
 * answers every new request, `/readyz` included, with 503.
 */
import type { FastifyInstance } from 'fastify';
import type { TapflowClient } from '../client';
import type { Queryable } from '../store/pool';

/** Longest wait for each dependency, in ms. */
export const READINESS_TIMEOUT_MS = 3000;

/** One dependency's answer. */
export interface CheckResult {
  ok: boolean;
  /** Why not, when not. */
  error?: string;
}

/** What `/readyz` answers. */
export interface Readiness {
  ready: boolean;
  checks: { temporal: CheckResult; store?: CheckResult };
}

/** Options of {@link checkReadiness}. */
export interface ReadinessOptions {
  client: TapflowClient;
  /** Default: none (not checked). */
  store?: Queryable;
  /** Default: {@link READINESS_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** Asks Temporal and the store, at the same time; never throws. */
export async function checkReadiness(options: ReadinessOptions): Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? READINESS_TIMEOUT_MS;
  const { client } = options.client;
  const store = options.store;
  const [temporal, storeResult] = await Promise.all([
    // The gRPC deadline ends the client's retries; the probe's own timeout is only a backstop.
    probe(
      () => client.connection.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({})),
      timeoutMs + 1000,
    ),
    store ? probe(() => store.query('SELECT 1'), timeoutMs) : undefined,
  ]);
  const checks: Readiness['checks'] = { temporal };
  if (storeResult) checks.store = storeResult;
  return { ready: temporal.ok && (storeResult?.ok ?? true), checks };
}

/** Registers `GET /readyz` (hidden from OpenAPI, no token). */
export function registerReadiness(app: FastifyInstance, options: ReadinessOptions): void {
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const readiness = await checkReadiness(options);
    return reply.code(readiness.ready ? 200 : 503).send(readiness);
  });
}

async function probe(call: () => Promise<unknown>, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([call(), timeout]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error)?.message ?? String(err) };
  } finally {
    clearTimeout(timer);
  }
}
