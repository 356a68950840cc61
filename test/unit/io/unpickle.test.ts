import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { unpickle, type GlobalFn } from '../../../src/io/unpickle.ts';

const enc = (s: string) => [...new TextEncoder().encode(s)];
/** SHORT_BINUNICODE */
const str = (s: string) => [0x8c, enc(s).length, ...enc(s)];
const pickle = (...ops: number[]) => Uint8Array.from(ops);
const load = (bytes: Uint8Array, globals: Record<string, GlobalFn> = {}) => unpickle(bytes, { globals });

function expectError(fn: () => unknown, code: string, pattern?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DtlensError);
    expect((e as DtlensError).code).toBe(code);
    if (pattern) expect((e as DtlensError).message).toMatch(pattern);
    return;
  }
  throw new Error(`expected DtlensError ${code}`);
}

describe('unpickle: values', () => {
  it('decodes protocol 2 data: dict, ints, floats, tuples, memo', () => {
    // {'a': (1, -2, 300), 'b': [1.5, None, True], 'c': <memo of the tuple>}
    // prettier-ignore
    const bytes = pickle(
      0x80, 0x02, 0x7d, 0x71, 0x00,
      0x28, ...str('a'), 0x4b, 1, 0x4a, 0xfe, 0xff, 0xff, 0xff, 0x4d, 0x2c, 0x01, 0x87, 0x71, 0x01,
      ...str('b'), 0x5d, 0x28, 0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0x4e, 0x88, 0x65,
      ...str('c'), 0x68, 0x01,
      0x75, 0x2e,
    );
    const d = load(bytes) as Map<string, unknown>;
    expect(d.get('a')).toEqual([1, -2, 300]);
    expect(d.get('b')).toEqual([1.5, null, true]);
    expect(d.get('c')).toBe(d.get('a'));
  });

  it('decodes LONG1 (small and beyond 2^53), bytes, sets and protocol 0 text opcodes', () => {
    expect(load(pickle(0x8a, 0x02, 0xff, 0x7f, 0x2e))).toBe(32767);
    expect(load(pickle(0x8a, 0x01, 0xff, 0x2e))).toBe(-1);
    expect(load(pickle(0x8a, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x2e))).toBe(2n ** 62n);
    expect(load(pickle(0x43, 2, 9, 8, 0x2e))).toEqual(new Uint8Array([9, 8]));
    expect(load(pickle(0x8f, 0x28, 0x4b, 3, 0x4b, 4, 0x90, 0x2e))).toEqual(new Set([3, 4]));
    expect(load(pickle(0x49, ...enc('42\n'), 0x2e))).toBe(42);
    expect(load(pickle(0x46, ...enc('2.5\n'), 0x2e))).toBe(2.5);
    expect(load(pickle(0x53, ...enc("'hi'\n"), 0x2e))).toBe('hi');
  });

  it('calls only allowlisted globals, via GLOBAL and STACK_GLOBAL', () => {
    const globals = { 'm.f': (args: unknown[]) => `f(${args.join(',')})` };
    expect(load(pickle(0x63, ...enc('m\nf\n'), 0x4b, 1, 0x4b, 2, 0x86, 0x52, 0x2e), globals)).toBe('f(1,2)');
    expect(load(pickle(...str('m'), ...str('f'), 0x93, 0x29, 0x52, 0x2e), globals)).toBe('f()');
  });
});

describe('unpickle: hostile and broken input', () => {
  it('refuses os.system via GLOBAL and via STACK_GLOBAL, naming it', () => {
    const viaGlobal = pickle(0x80, 0x02, 0x63, ...enc('os\nsystem\n'), ...str('ls'), 0x85, 0x52, 0x2e);
    expectError(() => load(viaGlobal), 'UNSAFE_PICKLE', /os\.system/);
    const viaStack = pickle(0x80, 0x04, ...str('os'), ...str('system'), 0x93, ...str('ls'), 0x85, 0x52, 0x2e);
    expectError(() => load(viaStack), 'UNSAFE_PICKLE', /os\.system, which dtlens does not allow/);
    const builtins = pickle(...str('builtins'), ...str('__proto__'), 0x93, 0x2e);
    expectError(() => load(builtins, { 'builtins.eval': () => 0 }), 'UNSAFE_PICKLE');
  });

  it('refuses REDUCE on something that is not a global', () => {
    expectError(() => load(pickle(...str('x'), 0x29, 0x52, 0x2e)), 'BAD_PICKLE', /non-global/);
  });

  it('reports stack underflow, missing MARK, missing memo and unknown opcodes', () => {
    expectError(() => load(pickle(0x2e)), 'BAD_PICKLE', /underflow/);
    expectError(() => load(pickle(0x85, 0x2e)), 'BAD_PICKLE', /underflow/);
    expectError(() => load(pickle(0x74, 0x2e)), 'BAD_PICKLE', /MARK/);
    expectError(() => load(pickle(0x28, 0x4b, 1, 0x2e)), 'BAD_PICKLE', /MARK/);
    expectError(() => load(pickle(0x68, 0x05, 0x2e)), 'BAD_PICKLE', /memo/);
    expectError(() => load(pickle(0xff)), 'BAD_PICKLE', /opcode 0xff/);
    expectError(() => load(pickle(0x4b, 1, 0x71, 0, 0x6a, 1, 0, 0, 0, 0x2e)), 'BAD_PICKLE', /memo/);
  });

  it('reports truncation (no STOP, short lengths) instead of reading past the end', () => {
    expectError(() => load(pickle(0x4b, 1)), 'BAD_PICKLE', /truncated/);
    expectError(() => load(pickle(0x58, 0xff, 0xff, 0xff, 0x7f, 0x41)), 'BAD_PICKLE', /truncated/);
    expectError(() => load(pickle(0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)), 'BAD_PICKLE');
    expectError(() => load(pickle(0x63, ...enc('os'))), 'BAD_PICKLE', /unterminated/);
  });

  it('type-checks container operations', () => {
    expectError(() => load(pickle(0x4b, 1, 0x4b, 2, 0x61, 0x2e)), 'BAD_PICKLE', /list/);
    expectError(() => load(pickle(0x5d, 0x4b, 1, 0x4b, 2, 0x73, 0x2e)), 'BAD_PICKLE', /dict/);
    expectError(() => load(pickle(0x4b, 1, 0x4e, 0x62, 0x2e)), 'BAD_PICKLE', /BUILD/);
  });

  it('throws only DtlensError on random garbage and always terminates', () => {
    let seed = 99;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const globals = { 'collections.OrderedDict': () => new Map() };
    const outcomes = { loaded: 0, typedError: 0 };
    for (let iter = 0; iter < 500; iter++) {
      const bytes = new Uint8Array(1 + Math.floor(rand() * 40));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
      try {
        load(bytes, globals);
        outcomes.loaded++;
      } catch (e) {
        expect(e).toBeInstanceOf(DtlensError);
        outcomes.typedError++;
      }
    }
    console.log(`unpickle random garbage: ${JSON.stringify(outcomes)}`);
    // random bytes are almost never a well-formed pickle ending in STOP (none of these 500 are)
    expect(outcomes.loaded + outcomes.typedError).toBe(500);
    expect(outcomes.typedError).toBeGreaterThanOrEqual(490);
  });
});
