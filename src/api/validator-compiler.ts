/**
 * Request validation for the API: one ajv per part of a request, so that a query string or a
 * path parameter (text by nature) is coerced to the type its schema names, and a JSON body is
 * not. Fastify's own compiler coerces every part alike, which turns a body's `"tags": 5` into
 * `["5"]` and `"priority": "7"` into `7`: a client's wrong type would pass silently and start a
 * run with values it never sent. A body must carry the types its schema names; anything else is
 * a 400 naming the field.
 */
import Ajv, { type Options, type ValidateFunction } from 'ajv';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';

/** What every part shares: every problem at once, nothing removed, `type: [a, b]` allowed. */
const COMMON: Options = { allErrors: true, removeAdditional: false, allowUnionTypes: true, useDefaults: true };

/** The request parts Fastify validates, as it names them in `httpPart`. */
type HttpPart = 'body' | 'querystring' | 'params' | 'headers';

/**
 * Builds a validator compiler for `app.setValidatorCompiler`: bodies strict, the text parts
 * coerced (`coerceTypes: 'array'`, so `?state=running` fits an array of states).
 *
 * @returns a compiler that picks its ajv by the request part being validated.
 */
export function strictBodyValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const strict = new Ajv({ ...COMMON, coerceTypes: false });
  const coercing = new Ajv({ ...COMMON, coerceTypes: 'array' });
  const byPart: Record<HttpPart, Ajv> = { body: strict, querystring: coercing, params: coercing, headers: coercing };
  return ({ schema, httpPart }) => {
    const ajv = byPart[httpPart as HttpPart] ?? strict;
    return ajv.compile(schema as object) as ValidateFunction;
  };
}
