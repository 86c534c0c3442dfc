/**
 * The input contract, fuzzed: for every route and method in the app's own OpenAPI document, requests
 * made of values that fit each parameter's schema mixed with hostile ones (huge, negative, dates out
 * of range, malformed base64, unicode, NUL, long strings, repeated parameters, random JSON bodies and
 * headers). No answer may be a 5xx, and no request may make the store fail: a schema-valid request
 * that the database refuses (an SSE stream answers 200 before it queries) is the same bug as a 500.
 */
import { validateHeaderValue } from 'node:http';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import fc from 'fast-check';
import type { OpenAPIV3 } from 'openapi-types';
import { describe, expect, it } from 'vitest';
import type { AlertStore } from '../src/store/alert-store.js';
import { createRuleRegistry } from '../src/rules/registry.js';
import { createMetrics } from '../src/metrics.js';
import { createModelHealthMonitor } from '../src/monitoring/model-health.js';
import { modelDirReference } from '../src/monitoring/reference.js';
import { testLog } from '../../../test/support/kafka.js';
import { adminToken, apiToken, backends, makeAlert, memoryChannel, openTestStore, readToken, testApp } from './fixtures.js';

type Schema = OpenAPIV3.SchemaObject;
type Parameter = OpenAPIV3.ParameterObject & { schema?: Schema };

interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body: Schema | undefined;
  eventStream: boolean;
}

function operationsOf(document: OpenAPIV3.Document): Operation[] {
  const methods = ['get', 'post', 'put', 'patch', 'delete'] as const;
  return Object.entries(document.paths).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const operation = item?.[method];
      if (!operation) return [];
      const body = (operation.requestBody as OpenAPIV3.RequestBodyObject | undefined)?.content['application/json']?.schema as
        | Schema
        | undefined;
      const ok = operation.responses['200'] as OpenAPIV3.ResponseObject | undefined;
      return [
        {
          method: method.toUpperCase(),
          path,
          parameters: (operation.parameters ?? []) as Parameter[],
          body,
          eventStream: ok?.content?.['text/event-stream'] !== undefined,
        },
      ];
    }),
  );
}

const base64url = (text: string): string => Buffer.from(text).toString('base64url');

const numberText = fc.oneof(
  fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String),
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom('-999999999999999', '999999999999999', '9007199254740993', '-0', '0'),
);

const hostile: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(
    '',
    ' ',
    '-1',
    '1e308',
    '-1e308',
    'NaN',
    'Infinity',
    '0x10',
    'null',
    'true',
    '[]',
    '{}',
    '0000-01-01T00:00:00Z',
    '0000-01-01T00:00:00.000+01:00',
    '1969-12-31T23:59:59Z',
    '9999-12-31T23:59:59Z',
    '2026-02-30T00:00:00Z',
    '-271821-04-20T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '\u0000',
    'card-\u0000',
    'term\u00007',
    '😀',
    '\u202eevil',
    "' OR '1'='1",
    '../../etc/passwd',
    '=====',
  ) },
  numberText,
  fc.tuple(numberText, numberText).map(([time, sequence]) => base64url(`${time}.${sequence}`)),
  // Shaped like a page cursor (base64url of "<ms>.<sequence>"), with any time and sequence.
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.bigInt({ min: -(10n ** 15n) + 1n, max: 10n ** 15n - 1n }), fc.bigInt({ min: 0n, max: 10n ** 16n - 1n }))
      .map(([time, sequence]) => base64url(`${time}.${sequence}`)),
  },
  fc.tuple(numberText, numberText).map(([time, sequence]) => `${time}.${sequence}`),
  fc.string({ maxLength: 10 }).map((text) => `${text}\u0000${text}`),
  fc.string({ unit: 'binary', maxLength: 40 }).map(base64url),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.integer({ min: 129, max: 20_000 }).map((length) => 'x'.repeat(length)),
);

const recentTime = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true })
  .map((date) => date.toISOString());

/**
 * Values a client reading the docs could send for `schema`. `wide`: anything the schema's own
 * constraints allow (a date-time pattern allows year 0000 and offsets of -23:59); otherwise values
 * a real client would send.
 */
function fitting(schema: Schema | undefined, wide: boolean): fc.Arbitrary<string> {
  if (schema === undefined) return fc.string();
  if (schema.enum) return fc.constantFrom(...schema.enum.map(String));
  if (schema.type === 'integer') {
    return fc.integer({ min: schema.minimum ?? -(2 ** 31), max: schema.maximum ?? 2 ** 31 }).map(String);
  }
  if (schema.type === 'number') {
    return fc.double({ min: schema.minimum ?? -1e9, max: schema.maximum ?? 1e9, noNaN: true }).map(String);
  }
  if (schema.format === 'date-time' && !wide) return recentTime;
  if (schema.pattern !== undefined) {
    const matching = fc.stringMatching(new RegExp(schema.pattern));
    return schema.maxLength === undefined ? matching : matching.filter((value) => value.length <= (schema.maxLength ?? 0));
  }
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
}

/** Encodes like a browser, but keeps a lone surrogate sendable (as U+FFFD). */
const encode = (value: string): string => encodeURIComponent(Buffer.from(value).toString('utf8'));
const rawFragment = fc.constantFrom('%', '%FF', '%00', '%E0%A4%A', '%zz', '&&', '=', '+', '%2B');

const sendableHeader = (value: string): boolean => {
  try {
    validateHeaderValue('x-fuzz', value);
    return true;
  } catch {
    return false;
  }
};

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload: string | undefined;
}

/**
 * Requests for `operation` in which `focus` (one parameter) gets hostile values as often as fitting
 * ones, and every other parameter is absent or fitting: a bad value is not hidden behind another's 400.
 */
function requests(operation: Operation, known: Record<string, string[]>, focus: string | undefined): fc.Arbitrary<FuzzRequest> {
  const valueOf = (parameter: Parameter): fc.Arbitrary<string> => {
    const knownValues = known[parameter.name] ?? [];
    const focused = parameter.name === focus;
    return fc.oneof(
      { weight: 1, arbitrary: fitting(parameter.schema, focused) },
      { weight: focused ? 3 : 0, arbitrary: hostile },
      ...(knownValues.length > 0 ? [{ weight: focused ? 1 : 2, arbitrary: fc.constantFrom(...knownValues) }] : []),
    );
  };
  const occurrences = (parameter: Parameter): fc.Arbitrary<string[]> =>
    parameter.name === focus
      ? fc.oneof({ weight: 5, arbitrary: valueOf(parameter).map((value) => [value]) }, { weight: 1, arbitrary: fc.array(valueOf(parameter), { minLength: 2, maxLength: 3 }) })
      : fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: valueOf(parameter).map((value) => [value]) });
  const query = operation.parameters
    .filter((parameter) => parameter.in === 'query')
    .map((parameter) => occurrences(parameter).map((values) => values.map((value) => `${encode(parameter.name)}=${encode(value)}`)));
  const extraQuery = fc.array(
    fc.oneof(rawFragment, fc.tuple(fc.string({ maxLength: 10 }), hostile).map(([name, value]) => `${encode(name)}=${encode(value)}`)),
    { maxLength: 1 },
  );
  const path = fc
    .tuple(
      ...operation.parameters
        .filter((parameter) => parameter.in === 'path')
        .map((parameter) => fc.tuple(fc.constant(parameter.name), fc.oneof(valueOf(parameter), fc.uuid()))),
    )
    .map((values) => values.reduce((url, [name, value]) => url.replace(`{${name}}`, encode(value) || '%20'), operation.path));
  const headerParameters = operation.parameters
    .filter((parameter) => parameter.in === 'header')
    .map((parameter) =>
      occurrences(parameter).map((values) => {
        const value = values.find(sendableHeader);
        return value === undefined ? {} : { [parameter.name]: value };
      }),
    );
  const authorization = fc.option(
    fc.oneof(
      {
        weight: 12,
        arbitrary: /^\/(rules|lists)\b/.test(operation.path)
          ? fc.constant(`Bearer ${adminToken}`)
          : operation.method === 'GET'
            ? fc.constantFrom(`Bearer ${apiToken}`, `Bearer ${readToken}`, `bearer  ${readToken} `)
            : fc.constant(`Bearer ${apiToken}`),
      },
      fc.constantFrom('Bearer', 'Basic dXNlcjpwYXNz'),
      hostile.map((token) => `Bearer ${token}`).filter(sendableHeader),
      hostile.filter(sendableHeader),
    ),
    { freq: 8 },
  );
  const otherHeaders = fc.record(
    {
      'content-type': fc.oneof(
        { weight: 4, arbitrary: fc.constant('application/json') },
        fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', ''),
      ),
      accept: fc.constantFrom('text/event-stream', 'application/json', '*/*', 'text/html'),
      origin: fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1:3000'),
    },
    { requiredKeys: [] },
  );
  // The body is in focus when no parameter is.
  const property = (name: string): fc.Arbitrary<string> =>
    fc.oneof(
      { weight: 2, arbitrary: fitting(operation.body?.properties?.[name] as Schema | undefined, true) },
      { weight: focus === undefined ? 2 : 0, arbitrary: hostile },
    );
  const body = operation.body
    ? fc.oneof(
        { weight: 3, arbitrary: fc.record({ label: property('label'), note: property('note') }, { requiredKeys: ['label'] }).map((value) => JSON.stringify(value)) },
        fc.jsonValue().map((value) => JSON.stringify(value)),
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.constant(undefined),
      )
    : fc.option(fc.jsonValue().map((value) => JSON.stringify(value)), { freq: 6 }).map((value) => value ?? undefined);

  return fc
    .record({ path, query: fc.tuple(...query), extraQuery, headerParameters: fc.tuple(...headerParameters), authorization, otherHeaders, body })
    .map(({ path: url, query: pairs, extraQuery: extra, headerParameters: headerValues, authorization: auth, otherHeaders: other, body: payload }) => {
      const search = [...pairs.flat(), ...extra].join('&');
      return {
        method: operation.method,
        url: search === '' ? url : `${url}?${search}`,
        headers: Object.assign({}, other, ...headerValues, auth === null ? {} : { authorization: auth }) as Record<string, string>,
        payload,
      };
    });
}

/** Records every error the store throws, and lets a test wait until no store call is in flight. */
function watchStore(store: AlertStore): { errors: unknown[]; settled(): Promise<void> } {
  const errors: unknown[] = [];
  let pending = 0;
  const methods = ['listAlerts', 'alertsAfter', 'latestSequence', 'getAlert', 'recordFeedback', 'stats', 'ping'] as const;
  for (const name of methods) {
    const original = store[name].bind(store) as (...args: unknown[]) => Promise<unknown>;
    (store as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      pending += 1;
      try {
        return await original(...args);
      } catch (err) {
        errors.push(err);
        throw err;
      } finally {
        pending -= 1;
      }
    };
  }
  return {
    errors,
    // A store call that ends can start the next one in the same microtask run: quiet means quiet
    // across a macrotask.
    async settled() {
      do await nextMacrotask();
      while (pending > 0);
    },
  };
}

describe.each(backends)('the API on $name, fuzzed from its OpenAPI document', ({ open }) => {
  it('answers every request a client can send without a 5xx or a store error', async () => {
    // Model health over a store of its own: the route's query parameters are what is fuzzed.
    const store0 = await openTestStore(open);
    const modelHealth = createModelHealthMonitor({
      store: store0.payments,
      references: modelDirReference(),
      settings: { labelDelayDays: 7, driftWindowMs: 86_400_000, thresholds: { warn: 0.1, alert: 0.25 } },
      metrics: createMetrics(),
      log: testLog,
      refreshMs: 60_000,
    });
    const { app, store } = await testApp(open, { readToken, rules: { registry: createRuleRegistry({ channel: memoryChannel() }), adminToken }, modelHealth });
    const alerts = [makeAlert(), makeAlert({ cardId: 'card-7', terminalId: 'term-3' }), makeAlert({ detectedAt: '2026-03-01T10:00:00.000Z' })];
    await store.insertAlerts(alerts);
    const firstPage = await app.inject({ url: '/alerts?limit=1', headers: { authorization: `Bearer ${readToken}` } });
    const cursor = firstPage.json<{ nextCursor: string }>().nextCursor;
    const watched = watchStore(store);

    const documentResponse = await app.inject({ url: '/docs/json' });
    const operations = operationsOf(documentResponse.json<OpenAPIV3.Document>());
    expect(operations.map((operation) => `${operation.method} ${operation.path}`)).toEqual(
      expect.arrayContaining(['GET /alerts', 'GET /alerts/{alertId}', 'POST /alerts/{alertId}/feedback', 'GET /alerts/stream', 'GET /cases/stream', 'GET /stats', 'GET /model-health', 'GET /cases', 'GET /cases/{caseId}', 'POST /cases/{caseId}/decision', 'POST /cases/{caseId}/assign', 'GET /cases/{caseId}/history', 'PUT /rules/{id}', 'PUT /lists/{name}']),
    );
    const caseIds = (await store.cases.list({ status: 'open', sort: 'priority', limit: 10 })).cases.map((c) => c.caseId);
    const known = { alertId: alerts.map((alert) => alert.alertId), caseId: caseIds, token: [readToken, apiToken, adminToken], cursor: [cursor] };

    for (const operation of operations) {
      await fc.assert(
        fc.asyncProperty(fc.oneof(requests(operation, known, undefined), ...operation.parameters.map((parameter) => requests(operation, known, parameter.name))), async (request) => {
          const errorsBefore = watched.errors.length;
          const response = await app.inject({
            method: request.method as 'GET',
            url: request.url,
            headers: request.headers,
            ...(request.payload === undefined ? {} : { payload: request.payload }),
            // An event stream never ends: take its status line, let it query the store, then hang up.
            payloadAsStream: operation.eventStream,
          });
          await watched.settled();
          if (operation.eventStream) response.raw.res.destroy();
          const body = operation.eventStream ? '(event stream)' : response.body;
          expect(response.statusCode, `${request.method} ${request.url} answered ${body}`).toBeLessThan(500);
          expect(watched.errors.slice(errorsBefore).map(String), `${request.method} ${request.url}`).toEqual([]);
        }),
        // More runs where there are more parameters: about 700 requests in all.
        { numRuns: 30 + 20 * operation.parameters.length },
      );
    }
    // A fixed amount of work (about 800 requests), CPU-bound: a loaded machine takes minutes, not a failure.
  }, 300_000);
});
