/**
 * How the store holds the values of a run (its spec and input, node outputs, its result, the
 * particulars of control actions): as the JSON they are, or, when the application encodes its
 * Temporal payloads (a payload codec that encrypts, say), encoded by the same data converter.
 *
 * An encoded value is kept as `{ "$tapflowPayload": { "metadata": {...}, "data": "<base64>" } }`:
 * the Temporal payload the application's codecs made, so the database holds what Temporal holds
 * and nothing in the clear. Whoever reads it back decodes it with the same data converter (the
 * command line's `--data-converter`, the API's client); without it, readers show the envelope
 * as it is. States, times, node ids, error messages and labels (tags, user, site, event) stay readable,
 * since searching and the operator's views need them.
 */
import { defaultPayloadConverter, type DataConverter, type Payload, type PayloadCodec, type PayloadConverter } from '@temporalio/common';

/** The key of an encoded value's envelope. */
export const ENCODED_VALUE_KEY = '$tapflowPayload';

/** An encoded value as the store keeps it. */
export interface EncodedValue {
  [ENCODED_VALUE_KEY]: { metadata: Record<string, string>; data: string };
}

/** Encodes values before the store writes them, and decodes what it reads. */
export interface StoreValueCodec {
  /** Whether values are encoded at all (false: they are stored as the JSON they are). */
  readonly encodes: boolean;
  encode(value: unknown): Promise<unknown>;
  /** Decodes an encoded value; anything else is returned as it is. */
  decode(value: unknown): Promise<unknown>;
}

/** Values stored as the JSON they are. */
export const PLAIN_VALUES: StoreValueCodec = {
  encodes: false,
  encode: (value) => Promise.resolve(value),
  decode: (value) => Promise.resolve(value),
};

/**
 * A data converter as an application gives it (`payloadConverterPath`) or as a Temporal client
 * holds it once loaded (`payloadConverter`): what the store codec needs of either.
 */
export type ConverterLike = Pick<DataConverter, 'payloadCodecs' | 'payloadConverterPath'> & { payloadConverter?: PayloadConverter };

/**
 * The store codec for a data converter: encoding when it has payload codecs, plain otherwise
 * (the payload converter alone changes nothing a reader cannot read).
 */
export function storeValueCodec(dataConverter: ConverterLike | undefined): StoreValueCodec {
  const codecs = dataConverter?.payloadCodecs ?? [];
  if (codecs.length === 0) return PLAIN_VALUES;
  return new PayloadValueCodec(dataConverter?.payloadConverter ?? payloadConverterOf(dataConverter), codecs);
}

/** Whether `value` is an encoded value's envelope. */
export function isEncodedValue(value: unknown): value is EncodedValue {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && ENCODED_VALUE_KEY in value && Object.keys(value).length === 1;
}

class PayloadValueCodec implements StoreValueCodec {
  readonly encodes = true;

  constructor(
    private readonly converter: PayloadConverter,
    private readonly codecs: readonly PayloadCodec[],
  ) {}

  async encode(value: unknown): Promise<unknown> {
    // Nothing to hide in a missing value; keeping it missing keeps "no output" distinct.
    if (value === undefined || value === null) return value;
    let payloads: Payload[] = [this.converter.toPayload(value)];
    for (const codec of this.codecs) payloads = await codec.encode(payloads);
    const [payload] = payloads;
    if (!payload) throw new Error('a payload codec returned no payload');
    const metadata: Record<string, string> = {};
    for (const [key, bytes] of Object.entries(payload.metadata ?? {})) if (bytes) metadata[key] = Buffer.from(bytes).toString('base64');
    return { [ENCODED_VALUE_KEY]: { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') } } satisfies EncodedValue;
  }

  async decode(value: unknown): Promise<unknown> {
    if (!isEncodedValue(value)) return value;
    const envelope = value[ENCODED_VALUE_KEY];
    const metadata: Record<string, Uint8Array> = {};
    for (const [key, text] of Object.entries(envelope.metadata)) metadata[key] = Buffer.from(text, 'base64');
    let payloads: Payload[] = [{ metadata, data: Buffer.from(envelope.data, 'base64') }];
    // Codecs decode in the reverse order they encoded in, as Temporal's SDKs do.
    for (const codec of [...this.codecs].reverse()) payloads = await codec.decode(payloads);
    const [payload] = payloads;
    if (!payload) throw new Error('a payload codec returned no payload');
    return this.converter.fromPayload(payload);
  }
}

function payloadConverterOf(dataConverter: ConverterLike | undefined): PayloadConverter {
  const path = dataConverter?.payloadConverterPath;
  if (!path) return defaultPayloadConverter;
  // The same module the worker bundles into workflow code; in Node it is a plain require.
  const loaded = require(path) as { payloadConverter?: PayloadConverter };
  if (!loaded.payloadConverter) throw new Error(`${path} exports no payloadConverter`);
  return loaded.payloadConverter;
}
