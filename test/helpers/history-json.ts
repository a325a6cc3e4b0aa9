/**
 * History <-> JSON in Temporal's standard history JSON format (what `temporal workflow show
 * --output json` and the Web UI's download produce), for recording and replaying histories.
 *
 * Why not `historyToJSON`/`historyFromJSON` from `@temporalio/common/lib/proto-utils`: in this
 * checkout's install they throw "TypeError: type must be a Type". `@temporalio/common` and
 * `@temporalio/proto` each get their own nested copy of protobufjs 8 (npm cannot hoist it: the
 * top level holds protobufjs 7 for @grpc/proto-loader), so common's `protobufjs/ext/protojson`
 * does not recognise the types of proto's root. The same functions are built here from the
 * protobufjs copy that `@temporalio/proto` uses. Once the tree is deduplicated, the SDK's own
 * functions can replace these.
 */
import { dirname } from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import type { History } from '@temporalio/common/lib/proto-utils';

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const protojson = require(
  require.resolve('protobufjs/ext/protojson', { paths: [dirname(require.resolve('@temporalio/proto/package.json'))] }),
) as ProtoJson;
const root = patchProtobufRoot(proto as unknown as Record<string, unknown>) as unknown as {
  lookupType(name: string): unknown;
};
const historyType = root.lookupType('temporal.api.history.v1.History');

/** A history as a JSON string (pretty-printed). */
export function historyToJson(history: History): string {
  const message = proto.temporal.api.history.v1.History.fromObject(history);
  return JSON.stringify(protojson.toJson(historyType, message), null, 2);
}

/**
 * A history from its parsed JSON.
 *
 * @throws TypeError when `json` is not a history.
 */
export function historyFromJson(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('not a history: expected an object with an array of events');
  }
  const loaded = protojson.fromJson(historyType, json, { ignoreUnknownFields: true });
  if (!loaded) throw new TypeError('not a history');
  return loaded as History;
}
