import fc from 'fast-check';

/** fast-check arbitraries for malformed, oversized and hostile input (shared by the HTTP and CLI fuzzers). */

export const HOSTILE_CONSTANTS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '\u0000',
  '\u0000WARNING',
  'WARNING\u0000',
  'warning',
  'CRITICAL ',
  '\u202eGNINRAW',
  '\r\nX-Injected: 1',
  '$(touch /tmp/opsagent-fuzz-pwned)',
  '`id`',
  '; rm -rf / #',
  '| nc 127.0.0.1 1',
  '../../../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '"; DROP TABLE issues; --',
  '{{7*7}}',
  '${jndi:ldap://127.0.0.1/a}',
  '@everyone',
  '\ud800',
  '\udfff\ud800',
  '🔥'.repeat(300),
  'ｗａｒｎｉｎｇ',
  '',
  ' ',
  'NaN',
  'Infinity',
  '-1',
  '1e309',
  '0x1F',
] as const;

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'name', 'status', 'alerts', 'labels', 'event_key', 'type', 'data', 'id', ''),
  fc.string({ maxLength: 12 }),
);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_CONSTANTS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 1, maxLength: 20 }).map((a) => String.fromCharCode(...a)) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'A'.repeat(n)) },
);

const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 63), 1e308, Number.MIN_VALUE),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** JSON texts that a JSON.stringify of an object cannot produce: prototype poisoning, broken syntax, deep nesting. */
export const hostileJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{"__proto__": {"polluted": "yes"}, "name": "x", "status": "WARNING"}',
    '{"name": "x", "status": "WARNING", "constructor": {"prototype": {"polluted": "yes"}}}',
    '[{"__proto__": {"polluted": "yes"}}]',
    '{"alerts": [{"status": "firing", "labels": {"__proto__": {"polluted": "yes"}}, "startsAt": "2026-01-01T00:00:00Z"}]}',
    '{"name": "x", "name": "y", "status": "WARNING"}',
    '{"name": "x", "status": "WARNING"',
    '{"name": "x", "status": "WARNING"}}',
    "{'name': 'x'}",
    '',
    'null',
    'true',
    '0',
    '"WARNING"',
    '[]',
    '{}',
    '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
    '\ufeff{"name": "x", "status": "WARNING"}',
    '{"name": "\\ud800", "status": "WARNING"}',
    '{"value": 1e999, "name": "x", "status": "WARNING"}',
  ),
  fc.integer({ min: 500, max: 5_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc.integer({ min: 500, max: 5_000 }).map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

/** A copy of `valid` with one field replaced by a hostile value, removed, or an unknown field added. */
export function mutated(valid: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.keys(valid);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...fields), hostileValue).map(([field, value]) => ({ ...valid, [field]: value })),
    fc.constantFrom(...fields).map((field) => {
      const copy = { ...valid };
      delete copy[field];
      return copy;
    }),
    fc.tuple(hostileKey, hostileValue).map(([key, value]) => {
      const copy: Record<string, unknown> = { ...valid };
      Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
      return copy;
    }),
  );
}
