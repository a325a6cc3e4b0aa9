/**
 * The application's data converter for the command line: `TAPFLOW_DATA_CONVERTER` names a
 * module (ESM or CommonJS) exporting `dataConverter` (or a default export), the same object its
 * workers and clients use. With it, every command reads what an encrypting payload codec wrote
 * (Temporal's payloads and the store's encoded values) and `tapflow worker`, `dev` and `api` write
 * with it. Without it, Temporal's default converter.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { UsageError } from '../core/errors';
import { importFile } from '../activities/import-file';
import { storeValueCodec, type StoreValueCodec } from '../store/value-codec';

const loaded = new Map<string, Promise<DataConverter | undefined>>();

/**
 * The data converter `TAPFLOW_DATA_CONVERTER` names, loaded once per path; `undefined` when it is unset.
 *
 * @throws {UsageError} when the module is missing, fails to load or exports no data converter.
 */
export function commandDataConverter(env: NodeJS.ProcessEnv = process.env): Promise<DataConverter | undefined> {
  const path = env.TAPFLOW_DATA_CONVERTER ?? '';
  let found = loaded.get(path);
  if (!found) loaded.set(path, (found = load(path || undefined)));
  return found;
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
    mod = await importFile(file);
  } catch (err) {
    throw new UsageError(`TAPFLOW_DATA_CONVERTER: cannot load ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const found = mod.dataConverter ?? (mod.default as Record<string, unknown> | undefined)?.dataConverter ?? mod.default;
  // A CommonJS module's default is its exports object, always there: a converter must say something.
  const converterKeys = ['payloadCodecs', 'payloadConverterPath', 'failureConverterPath'];
  if (typeof found !== 'object' || found === null || !converterKeys.some((k) => k in found)) {
    throw new UsageError(`TAPFLOW_DATA_CONVERTER: ${path} exports no dataConverter (export const dataConverter = { payloadCodecs: [...] })`);
  }
  return found as DataConverter;
}
