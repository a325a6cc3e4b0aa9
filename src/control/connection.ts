/**
 * Where the Temporal server is, by Temporal's own conventions: `TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS*`, and profiles in the Temporal
 * config file (`TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE`), read by `@temporalio/envconfig`.
 * So one worker runs unchanged against the dev server, a self-hosted cluster or Temporal Cloud.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/** Resolved connection settings. */
export interface TemporalSettings {
  /** Options for `Connection.connect` and `NativeConnection.connect`. */
  connectionOptions: NativeConnectionOptions;
  /** Namespace: `TEMPORAL_NAMESPACE`, the profile's, else `default`. */
  namespace: string;
  /**
   * Where the address came from, for messages: `override` (a flag), `environment`
   * (`TEMPORAL_ADDRESS` or a profile), `fallback` (the caller's, e.g. a running dev stack), `default`.
   */
  addressFrom: 'override' | 'environment' | 'fallback' | 'default';
}

/** Default address when nothing is configured: the dev server's. */
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/**
 * Loads connection settings from the environment and the Temporal config file.
 *
 * @param overrides values that win over the environment (e.g. from command-line flags), and a
 *   `fallbackAddress` used only when neither they nor the environment name one.
 * @throws Error when the config file or environment is malformed.
 */
export function loadTemporalSettings(overrides: { address?: string; namespace?: string; fallbackAddress?: string } = {}): TemporalSettings {
  const config = loadClientConnectConfig();
  const connectionOptions: NativeConnectionOptions = { ...config.connectionOptions };
  let addressFrom: TemporalSettings['addressFrom'] = 'environment';
  if (overrides.address) {
    connectionOptions.address = overrides.address;
    addressFrom = 'override';
  } else if (!connectionOptions.address) {
    connectionOptions.address = overrides.fallbackAddress ?? DEFAULT_TEMPORAL_ADDRESS;
    addressFrom = overrides.fallbackAddress ? 'fallback' : 'default';
  }
  return { connectionOptions, namespace: overrides.namespace ?? config.namespace ?? 'default', addressFrom };
}
