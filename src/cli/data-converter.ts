/**
 * The application's data converter for the command line: `TAPFLOW_DATA_CONVERTER` names a
 * module (ESM or CommonJS) exporting `dataConverter` (or a default export), the same object its
 * workers and clients use. With it, every command reads what an encrypting payload codec wrote
 * (Temporal's payloads and the store's encoded values) and `tapflow worker`, `dev` and `api` write
 * with it. Without it, Temporal's default converter.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { UsageError } from '../core/errors';
import { storeValueCodec, type StoreValueCodec } from '../store/value-codec';

let loaded: Promise<DataConverter | undefined> | undefined;

// A real import() that TypeScript's CommonJS output keeps as it is (so ES modules load too).
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<Record<string, unknown>>;

/**
 * The data converter `TAPFLOW_DATA_CONVERTER` names, loaded once; `undefined` when it is unset.
 *
 * @throws {UsageError} when the module is missing, fails to load or exports no data converter.
 */
export function commandDataConverter(env: NodeJS.ProcessEnv = process.env): Promise<DataConverter | undefined> {
  loaded ??= load(env.TAPFLOW_DATA_CONVERTER);
  return loaded;
}

/** How the store's values are read and written with {@link commandDataConverter}. */
export async function commandValueCodec(env: NodeJS.ProcessEnv = process.env): Promise<StoreValueCodec> {
  return storeValueCodec(await commandDataConverter(env));
}

async function load(path: string | undefined): Promise<DataConverter | undefined> {
  if (!path) return undefined;
  const file = resolve(path);
  if (!existsSync(file)) throw new UsageError(`TAPFLOW_DATA_CONVERTER: no such file ${path}`);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(pathToFileURL(file).href);
  } catch (err) {
    throw new UsageError(`TAPFLOW_DATA_CONVERTER: cannot load ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const found = mod.dataConverter ?? (mod.default as Record<string, unknown> | undefined)?.dataConverter ?? mod.default;
  if (typeof found !== 'object' || found === null) {
    throw new UsageError(`TAPFLOW_DATA_CONVERTER: ${path} exports no dataConverter (export const dataConverter = { payloadCodecs: [...] })`);
  }
  return found as DataConverter;
}
