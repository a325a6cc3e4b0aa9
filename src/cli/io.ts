/**
 * What every command shares: global options, printing (plain or `--json`), reading spec files
 * and JSON arguments, and connecting to Temporal.
 */
import { loadTemporalSettings } from '../control/connection';
import { findDevStack } from '../devstack/dev-stack-file';
import { commandDataConverter } from './data-converter';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { TapflowClient } from '../client';
import { UsageError } from '../core/errors';
import { parseSpecText, SpecSyntaxError } from '../core/parse';
import { assertPayloadFits } from '../core/payload-limit';
import type { ControlRequest } from '../workflows/definitions';
import { inlineSpecRefs } from './spec-refs';

/** Options every command accepts. */
export interface GlobalOptions {
  json?: boolean;
  address?: string;
  namespace?: string;
  taskQueue?: string;
}

/** Prints a value as one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints lines on stdout. */
export function print(...lines: string[]): void {
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Reads and parses a spec file (JSON or YAML), with the child spec files its `pipeline` nodes
 * name inlined (see `spec-refs.ts`).
 *
 * @throws {UsageError} when the file (or a child spec file) cannot be read or parsed.
 */
export function readSpecFile(path: string): unknown {
  return inlineSpecRefs(readOneSpecFile(path), path, readOneSpecFile);
}

function readOneSpecFile(path: string): unknown {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${path}: is a directory, not a spec file`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? 'error'})`);
  }
  try {
    return parseSpecText(text, path);
  } catch (err) {
    if (err instanceof SpecSyntaxError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * Parses a JSON command-line argument; `@file.json` reads the file.
 *
 * @throws {UsageError} naming the flag when the value is not valid JSON.
 * @throws {PayloadTooLargeError} naming the flag when the value is past Temporal's payload limit.
 */
export function parseJsonArg(flag: string, value: string): unknown {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch {
      throw new UsageError(`${flag}: cannot read ${value.slice(1)}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  assertPayloadFits(flag, parsed);
  return parsed;
}

/**
 * The request a command sends with a control or operator action: who (`--user`, else the OS
 * user), why (`--reason`), and a fresh request id (the update id: a resent request is taken once).
 */
export function actionRequest(options: { user?: string; reason?: string }): ControlRequest {
  return {
    by: options.user ?? currentUser(),
    requestId: randomUUID(),
    ...(options.reason ? { reason: options.reason } : {}),
  };
}

/** Who is acting: the OS user. */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/** How long a command waits for Temporal to answer before it says it cannot reach it. */
export const COMMAND_CONNECT_TIMEOUT = '3s';

/**
 * Connects the programmatic client with the global options and the application's data
 * converter. Without `--address` and `TEMPORAL_ADDRESS` (or a profile), a running `tapflow dev`
 * says where Temporal is, and its task queue is the default one.
 *
 * @throws {TemporalUnreachableError} naming the address tried and where it came from.
 */
export async function connect(options: GlobalOptions): Promise<TapflowClient> {
  const dataConverter = await commandDataConverter();
  const stack = findDevStack();
  const settings = loadTemporalSettings({ address: options.address, namespace: options.namespace, fallbackAddress: stack?.info.temporalAddress });
  const from = {
    override: 'from --address',
    environment: 'from TEMPORAL_ADDRESS or the Temporal profile',
    fallback: `where the running tapflow dev listens, ${stack?.file ?? ''}`,
    default: 'the default; no TEMPORAL_ADDRESS, --address or running tapflow dev says otherwise',
  }[settings.addressFrom];
  return TapflowClient.connect({
    address: settings.connectionOptions.address,
    namespace: settings.namespace,
    taskQueue: options.taskQueue ?? process.env.TAPFLOW_TASK_QUEUE ?? stack?.info.taskQueue,
    connectTimeout: COMMAND_CONNECT_TIMEOUT,
    addressFrom: from,
    ...(dataConverter ? { dataConverter } : {}),
  });
}

/** Runs `fn` with a connected client and closes it afterwards. */
export async function withClient<T>(options: GlobalOptions, fn: (client: TapflowClient) => Promise<T>): Promise<T> {
  const client = await connect(options);
  try {
    return await fn(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}
