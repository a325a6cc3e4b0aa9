/**
 * Temporal's payload size limit, checked before anything is sent. Temporal refuses any payload
 * (a workflow's start arguments, an update's arguments) past its blob size limit, 2 MB by default
 * (`limit.blobSize.error`), with an error that names neither the limit nor the part that is too
 * big ("Failed to start Workflow"). tapflow measures what it is about to send first, so an
 * oversized spec, input or node payload is refused with one line naming the limit, before a run
 * is started or an update sent.
 */
import { UsageError } from './errors';

/** Temporal's default limit on one payload, in bytes: 2 MB (the server's `limit.blobSize.error`). */
export const TEMPORAL_PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024;

/** Bytes the payload's envelope takes besides its JSON (encoding metadata, protobuf framing). */
const ENVELOPE_BYTES = 1024;

/**
 * A value too large for one Temporal payload. A {@link UsageError} (exit code 2; the HTTP API
 * answers 413): the caller's input is at fault, and nothing was started or sent.
 */
export class PayloadTooLargeError extends UsageError {
  override readonly code = 'payload_too_large';

  constructor(
    /** What was too large, as the caller named it (`--input`, `spec.json`, `body.input`). */
    public readonly where: string,
    /** Its size as JSON, in bytes. */
    public readonly bytes: number,
    /** The limit it is past, in bytes. */
    public readonly limit: number,
  ) {
    super(
      `${where}: ${megabytes(bytes)} as JSON is past Temporal's ${megabytes(limit)} payload limit; nothing was started or sent (pass a reference to the data, such as a file path or URL, instead)`,
    );
  }
}

/** The size in bytes of `value` as Temporal's default data converter sends it: UTF-8 JSON. */
export function payloadBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : new TextEncoder().encode(text).length;
}


/**
 * Checks that `value` fits in one Temporal payload.
 *
 * @param where what `value` is, for the message (a flag, a file, a request field).
 * @param limit the payload limit in bytes. Default: {@link TEMPORAL_PAYLOAD_LIMIT_BYTES}.
 * @throws {PayloadTooLargeError} when it does not fit (with room for the payload's envelope).
 */
export function assertPayloadFits(where: string, value: unknown, limit: number = TEMPORAL_PAYLOAD_LIMIT_BYTES): void {
  const bytes = payloadBytes(value);
  if (bytes + ENVELOPE_BYTES > limit) throw new PayloadTooLargeError(where, bytes, limit);
}

/** `2 MB`, `2.2 MB`: sizes in MiB, as Temporal states its limit. */
function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}
