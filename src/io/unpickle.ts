/**
 * A safe unpickler for Python pickle protocols 0-5 (the opcodes torch and numpy emit, plus the cheap rest).
 * Nothing is ever executed: GLOBAL / STACK_GLOBAL resolve only through the caller's allowlist, and any other
 * name throws `UNSAFE_PICKLE`. Malformed or truncated streams throw `BAD_PICKLE`.
 *
 * Value mapping: None -> null, bool -> boolean, int -> number (bigint beyond 2^53), float -> number,
 * str -> string, bytes/bytearray -> Uint8Array, list and tuple -> array, dict -> Map, set/frozenset -> Set.
 */
import { DtlensError } from '../errors.ts';
import {
  MAX_PICKLE_BYTES,
  MAX_PICKLE_DEPTH,
  MAX_PICKLE_INT_BYTES,
  MAX_PICKLE_INT_DIGITS,
  MAX_PICKLE_MEMO,
  MAX_PICKLE_NODES,
  MAX_PICKLE_VALUES,
} from './limits.ts';

/** An allowlisted global's implementation: receives the positional args of REDUCE / NEWOBJ. */
export type GlobalFn = (args: unknown[], kwargs?: Map<unknown, unknown>) => unknown;

/** Objects that accept BUILD (`__setstate__`) implement this symbol-keyed method. */
export const SET_STATE: unique symbol = Symbol('pickle.setstate');
export interface Buildable {
  [SET_STATE](state: unknown): void;
}

/**
 * Objects built by allowlisted globals that hold unpickled values (e.g. numpy object arrays) expose them
 * under this symbol, so the structure check sees every reference.
 */
export const PICKLE_CHILDREN: unique symbol = Symbol('pickle.children');
export interface PickleContainer {
  readonly [PICKLE_CHILDREN]: readonly unknown[];
}

/** A resolved global on the stack (`module.name`), callable only through its allowlisted implementation. */
export class PickleGlobal {
  constructor(
    readonly name: string,
    readonly fn: GlobalFn,
  ) {}
}

export interface UnpickleOptions {
  /** Allowlist: fully qualified name (`module.name`) -> implementation. */
  globals: Readonly<Record<string, GlobalFn>>;
  /** Resolves a persistent id (BINPERSID / PERSID); without it those opcodes are rejected. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Overrides of the resource limits (defaults in `limits.ts`). */
  limits?: Partial<PickleLimits>;
}

export interface PickleLimits {
  /** Largest pickle (bytes). */
  maxBytes: number;
  /** Deepest nesting of containers. */
  maxDepth: number;
  /** Most memo entries. */
  maxMemo: number;
  /** Most values reachable from the result, a shared container counted once per reference. */
  maxNodes: number;
  /** Most values pushed while decoding (each costs memory even if later discarded). */
  maxValues: number;
}

const DEFAULT_LIMITS: PickleLimits = {
  maxBytes: MAX_PICKLE_BYTES,
  maxDepth: MAX_PICKLE_DEPTH,
  maxMemo: MAX_PICKLE_MEMO,
  maxNodes: MAX_PICKLE_NODES,
  maxValues: MAX_PICKLE_VALUES,
};

const bad = (message: string) => new DtlensError('BAD_PICKLE', `malformed pickle: ${message}`);

class Reader {
  pos = 0;
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): number {
    if (n < 0 || n > this.bytes.length - this.pos)
      throw bad(`truncated: needs ${n} bytes at offset ${this.pos} of ${this.bytes.length}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8 = () => this.bytes[this.need(1)];
  u16 = () => this.view.getUint16(this.need(2), true);
  i32 = () => this.view.getInt32(this.need(4), true);
  u32 = () => this.view.getUint32(this.need(4), true);
  u64(): number {
    const v = this.view.getBigUint64(this.need(8), true);
    if (v > BigInt(this.bytes.length)) throw bad(`length ${v} exceeds the stream`);
    return Number(v);
  }
  f64be = () => this.view.getFloat64(this.need(8), false);
  take = (n: number): Uint8Array => this.bytes.slice(this.need(n), this.pos);
  utf8Str(n: number): string {
    try {
      return this.utf8.decode(this.bytes.subarray(this.need(n), this.pos));
    } catch (e) {
      if (e instanceof DtlensError) throw e;
      throw bad('string is not valid UTF-8');
    }
  }
  latin1(n: number): string {
    return latin1(this.bytes.subarray(this.need(n), this.pos));
  }
  /** A text line (protocol 0 arguments), without its newline. */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw bad(`unterminated text argument at offset ${this.pos}`);
    return this.latin1(end - this.pos + 1).slice(0, -1);
  }
  /** Two's-complement little-endian integer of `n` bytes (LONG1 / LONG4), in time linear in `n`. */
  long(n: number): number | bigint {
    if (n > MAX_PICKLE_INT_BYTES)
      throw bad(`integer of ${n} bytes is longer than the limit of ${MAX_PICKLE_INT_BYTES}`);
    const b = this.bytes.subarray(this.need(n), this.pos);
    if (n === 0) return 0;
    const hex = new Array<string>(n);
    for (let i = 0; i < n; i++) hex[n - 1 - i] = HEX[b[i]];
    let v = BigInt('0x' + hex.join(''));
    if (b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return toIntValue(v);
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function toIntValue(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseTextInt(s: string): number | bigint | boolean {
  if (s === '01') return true;
  if (s === '00') return false;
  const t = s.endsWith('L') ? s.slice(0, -1) : s;
  if (t.length > MAX_PICKLE_INT_DIGITS + 1)
    throw bad(
      `integer literal of ${t.length} characters is longer than the limit of ${MAX_PICKLE_INT_DIGITS} digits`,
    );
  if (!/^[+-]?\d+$/.test(t)) throw bad(`invalid integer literal ${JSON.stringify(s)}`);
  return toIntValue(BigInt(t));
}

function parseQuoted(s: string): Uint8Array {
  const q = s[0];
  if (s.length < 2 || (q !== '"' && q !== "'") || s[s.length - 1] !== q) throw bad('invalid STRING literal');
  const body = s.slice(1, -1);
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') {
      out.push(body.charCodeAt(i) & 0xff);
      continue;
    }
    const c = body[++i];
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, "'": 39, '"': 34, '0': 0 };
    if (c === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c !== undefined && c in simple) out.push(simple[c]);
    else throw bad('unsupported escape in STRING literal');
  }
  return Uint8Array.from(out);
}

/** Bytes as latin-1 text (in chunks: spreading a long array into one call overflows the stack). */
function latin1(b: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += 8192) parts.push(String.fromCharCode(...b.subarray(i, i + 8192)));
  return parts.join('');
}

/** Decodes one pickle. Never executes code; only allowlisted globals are ever invoked. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  if (bytes.length > limits.maxBytes)
    throw bad(`${bytes.length} bytes is more than the limit of ${limits.maxBytes}`);
  try {
    const result = run(bytes, options, limits);
    checkStructure(result, limits);
    return result;
  } catch (e) {
    if (e instanceof DtlensError) throw e;
    throw bad((e as Error).message ?? String(e));
  }
}

function run(
  bytes: Uint8Array,
  { globals, persistentLoad }: UnpickleOptions,
  { maxMemo, maxValues }: PickleLimits,
): unknown {
  const r = new Reader(bytes);
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  // An array, not a Map: indices are dense in practice and bounded by `maxMemo`.
  const memo: unknown[] = [];
  let memoCount = 0;

  // `push` reads `stack` only after its argument is evaluated (which may replace `stack` via popMark).
  let pushed = 0;
  const push = (x: unknown): void => {
    if (++pushed > maxValues) throw bad(`more than the limit of ${maxValues} values`);
    stack.push(x);
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw bad(`stack underflow at offset ${r.pos - 1}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw bad(`stack underflow at offset ${r.pos - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = metastack.pop();
    if (prev === undefined) throw bad(`no MARK before offset ${r.pos - 1}`);
    stack = prev;
    return items;
  };
  const memoGet = (i: number): unknown => {
    const v = i < memo.length ? memo[i] : undefined;
    if (v === undefined) throw bad(`memo index ${i} was never stored`);
    return v;
  };
  const memoPut = (i: number) => {
    if (!Number.isSafeInteger(i) || i < 0 || i >= maxMemo)
      throw bad(`memo index ${i} is beyond the limit of ${maxMemo} memo entries`);
    if (memo[i] === undefined) memoCount++;
    memo[i] = top();
  };
  const resolve = (module: unknown, name: unknown): PickleGlobal => {
    if (typeof module !== 'string' || typeof name !== 'string') throw bad('global name is not a string');
    const full = `${module}.${name}`;
    if (!Object.prototype.hasOwnProperty.call(globals, full))
      throw new DtlensError('UNSAFE_PICKLE', `pickle references global ${full}, which dtlens does not allow`);
    return new PickleGlobal(full, globals[full]);
  };
  const call = (fn: unknown, args: unknown, kwargs?: Map<unknown, unknown>): unknown => {
    if (!(fn instanceof PickleGlobal)) throw bad(`attempt to call a non-global (${typeof fn})`);
    if (!Array.isArray(args)) throw bad(`arguments of ${fn.name} are not a tuple`);
    return fn.fn(args, kwargs);
  };
  const asList = (x: unknown): unknown[] => {
    if (!Array.isArray(x)) throw bad('APPEND target is not a list');
    return x;
  };
  const setItems = (d: unknown, kv: unknown[]) => {
    if (!(d instanceof Map)) throw bad('SETITEM target is not a dict');
    if (kv.length % 2) throw bad('odd number of items in SETITEMS');
    for (let i = 0; i < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
  };
  const addItems = (s: unknown, items: unknown[]) => {
    if (!(s instanceof Set)) throw bad('ADDITEMS target is not a set');
    for (const x of items) s.add(x);
  };
  const persistent = (pid: unknown) => {
    if (!persistentLoad) throw bad('persistent id found but no persistent loader was given');
    return persistentLoad(pid);
  };

  for (;;) {
    const op = r.u8();
    switch (op) {
      case 0x80: // PROTO
        if (r.u8() > 5) throw new DtlensError('UNSUPPORTED', 'pickle protocol above 5');
        break;
      case 0x95: // FRAME (framing is advisory)
        r.u64();
        break;
      case 0x2e: // STOP
        if (metastack.length) throw bad('unbalanced MARK at STOP');
        return pop();
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      // constants and numbers
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x4a: // BININT
        push(r.i32());
        break;
      case 0x4b: // BININT1
        push(r.u8());
        break;
      case 0x4d: // BININT2
        push(r.u16());
        break;
      case 0x8a: // LONG1
        push(r.long(r.u8()));
        break;
      case 0x8b: {
        // LONG4
        const n = r.i32();
        if (n < 0) throw bad('negative LONG4 length');
        push(r.long(n));
        break;
      }
      case 0x49: // INT
        push(parseTextInt(r.line()));
        break;
      case 0x4c: // LONG
        push(parseTextInt(r.line()));
        break;
      case 0x47: // BINFLOAT (big-endian)
        push(r.f64be());
        break;
      case 0x46: {
        // FLOAT
        const s = r.line().trim();
        const v = Number(s);
        if (s === '' || (Number.isNaN(v) && !/^[+-]?nan$/i.test(s)))
          throw bad(`invalid float ${JSON.stringify(s)}`);
        push(v);
        break;
      }
      // strings and bytes
      case 0x58: // BINUNICODE
        push(r.utf8Str(r.u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(r.utf8Str(r.u8()));
        break;
      case 0x8d: // BINUNICODE8
        push(r.utf8Str(r.u64()));
        break;
      case 0x54: {
        // BINSTRING (python 2 str: kept as latin-1 text)
        const n = r.i32();
        if (n < 0) throw bad('negative BINSTRING length');
        push(r.latin1(n));
        break;
      }
      case 0x55: // SHORT_BINSTRING
        push(r.latin1(r.u8()));
        break;
      case 0x53: // STRING
        push(latin1(parseQuoted(r.line())));
        break;
      case 0x42: // BINBYTES
        push(r.take(r.u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        push(r.take(r.u8()));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        push(r.take(r.u64()));
        break;
      case 0x98: // READONLY_BUFFER (no-op on an in-band buffer)
        top();
        break;
      // containers
      case 0x29: // EMPTY_TUPLE
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x7d: // EMPTY_DICT
        push(new Map());
        break;
      case 0x8f: // EMPTY_SET
        push(new Set());
        break;
      case 0x74: // TUPLE
      case 0x6c: // LIST
        push(popMark());
        break;
      case 0x85: // TUPLE1
        push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        push([pop(), b, c]);
        break;
      }
      case 0x64: {
        // DICT
        const d = new Map();
        setItems(d, popMark());
        push(d);
        break;
      }
      case 0x91: // FROZENSET
        push(new Set(popMark()));
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        asList(top()).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = asList(top());
        for (const x of items) list.push(x);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        addItems(top(), items);
        break;
      }
      // memo
      case 0x71: // BINPUT
        memoPut(r.u8());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(r.u32());
        break;
      case 0x70: // PUT
        memoPut(Number(parseTextInt(r.line())));
        break;
      case 0x94: // MEMOIZE
        memoPut(memoCount);
        break;
      case 0x68: // BINGET
        push(memoGet(r.u8()));
        break;
      case 0x6a: // LONG_BINGET
        push(memoGet(r.u32()));
        break;
      case 0x67: // GET
        push(memoGet(Number(parseTextInt(r.line()))));
        break;
      // globals and object construction (allowlisted only)
      case 0x63: {
        // GLOBAL
        const module = r.line();
        push(resolve(module, r.line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        push(resolve(pop(), name));
        break;
      }
      case 0x52: // REDUCE
      case 0x81: {
        // NEWOBJ
        const args = pop();
        push(call(pop(), args));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        if (!(kwargs instanceof Map)) throw bad('NEWOBJ_EX keyword arguments are not a dict');
        push(call(pop(), args, kwargs));
        break;
      }
      case 0x69: {
        // INST
        const cls = resolve(r.line(), r.line());
        push(call(cls, popMark()));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark();
        if (items.length === 0) throw bad('OBJ without a class');
        push(call(items[0], items.slice(1)));
        break;
      }
      case 0x62: {
        // BUILD: objects that know their state take it; BUILD on dicts/lists (torch `_metadata`) is ignored
        const state = pop();
        const obj = top();
        if (typeof obj === 'object' && obj !== null && SET_STATE in obj) (obj as Buildable)[SET_STATE](state);
        else if (!(obj instanceof Map) && !Array.isArray(obj))
          throw bad(`BUILD on an object that takes no state`);
        break;
      }
      case 0x51: // BINPERSID
        push(persistent(pop()));
        break;
      case 0x50: // PERSID
        push(persistent(r.line()));
        break;
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: // EXT4
        throw new DtlensError(
          'UNSAFE_PICKLE',
          'pickle uses the copyreg extension registry, which dtlens does not allow',
        );
      case 0x97: // NEXT_BUFFER
        throw new DtlensError('UNSUPPORTED', 'pickle uses out-of-band buffers (protocol 5 NEXT_BUFFER)');
      case 0x56: // UNICODE (raw-unicode-escape line, protocol 0)
        push(
          r.line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
        );
        break;
      default:
        throw bad(`unknown opcode 0x${op.toString(16)} at offset ${r.pos - 1}`);
    }
  }
}

/** The values a container holds (keys and values of a dict), or null for a leaf. */
function childrenOf(x: unknown): readonly unknown[] | null {
  if (typeof x !== 'object' || x === null) return null;
  if (Array.isArray(x)) return x;
  if (x instanceof Map) {
    const out: unknown[] = [];
    for (const [k, v] of x) out.push(k, v);
    return out;
  }
  if (x instanceof Set) return [...x];
  if (PICKLE_CHILDREN in x) return (x as PickleContainer)[PICKLE_CHILDREN];
  return null;
}

/**
 * Refuses results that would blow up anything walking them: nesting deeper than `maxDepth`, more than
 * `maxNodes` values counting a shared container once per reference (40 levels that each reference the
 * next twice expand to 2^40), and self-references. Iterative, linear in the number of references.
 */
function checkStructure(root: unknown, { maxDepth, maxNodes }: PickleLimits): void {
  const done = new Map<object, { size: number; depth: number }>();
  const onPath = new Set<object>();
  interface Frame {
    node: object;
    kids: readonly unknown[];
    next: number;
    size: number;
    depth: number;
  }
  const stack: Frame[] = [];
  const enter = (node: object, kids: readonly unknown[]) => {
    if (stack.length >= maxDepth) throw bad(`containers nested deeper than the limit of ${maxDepth}`);
    onPath.add(node);
    stack.push({ node, kids, next: 0, size: 1, depth: 1 });
  };
  const rootKids = childrenOf(root);
  if (!rootKids) return;
  enter(root as object, rootKids);
  let total = 0;
  while (stack.length) {
    const f = stack[stack.length - 1];
    if (f.next < f.kids.length) {
      const kid = f.kids[f.next++];
      const kidKids = childrenOf(kid);
      if (!kidKids) {
        f.size++;
        continue;
      }
      const node = kid as object;
      if (onPath.has(node)) throw bad('structure refers to itself (cycle)');
      const known = done.get(node);
      if (!known) {
        enter(node, kidKids);
        continue;
      }
      if (stack.length + known.depth > maxDepth)
        throw bad(`containers nested deeper than the limit of ${maxDepth}`);
      f.size += known.size;
      f.depth = Math.max(f.depth, known.depth + 1);
    } else {
      stack.pop();
      onPath.delete(f.node);
      done.set(f.node, { size: f.size, depth: f.depth });
      const parent = stack[stack.length - 1];
      if (parent) {
        parent.size += f.size;
        parent.depth = Math.max(parent.depth, f.depth + 1);
      } else total = f.size;
    }
    if (f.size > maxNodes || total > maxNodes)
      throw bad(`structure expands to more than the limit of ${maxNodes} values (shared references)`);
  }
}
