/**
 * A minimal ONNX protobuf writer: enough to encode float32 graphs (ModelProto, opset 17, IR 8) of named
 * nodes with integer, integer-list and float attributes, int64 initializers (axes, shapes, slice bounds),
 * and graph inputs/outputs with fixed or symbolic dims. Field numbers follow onnx.proto. Only what
 * dtlens' kernel and fused-core graphs need.
 */
import { check } from '../errors.ts';

/** A dimension: a fixed size, or a symbolic name such as 'M' (bound at run time). */
export type OnnxDim = number | string;

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  /**
   * Integer (INT), integer-list (INTS) or float (FLOAT, as `{ float: x }`) attributes, e.g.
   * `{ transA: 1 }`, `{ perm: [0, 2, 1] }` or `{ epsilon: { float: 1e-5 } }`.
   */
  attrs?: Record<string, OnnxAttribute>;
}

export type OnnxAttribute = number | number[] | { float: number };

/** A constant int64 tensor (e.g. the `axes` input of ReduceSum, the `starts` of Slice); safe integers. */
export interface OnnxInt64Initializer {
  name: string;
  dims: number[];
  values: number[];
}

/** A float32 graph input or output. */
export interface OnnxValue {
  name: string;
  dims: OnnxDim[];
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  initializers?: OnnxInt64Initializer[];
}

const IR_VERSION = 8;
const OPSET = 17;
const FLOAT = 1; // TensorProto.DataType.FLOAT
const INT64 = 7; // TensorProto.DataType.INT64
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_INTS = 7;
const utf8 = new TextEncoder();

/** Base-128 varint of a non-negative safe integer. */
function varint(value: number): number[] {
  check(Number.isSafeInteger(value) && value >= 0, 'BAD_INPUT', `onnx: cannot encode ${value} as a varint`);
  const out: number[] = [];
  let v = value;
  while (v > 127) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** Varint of a signed int64 (two's complement, as protobuf encodes negative int64 values). */
function int64Varint(value: number): number[] {
  if (value >= 0) return varint(value);
  check(Number.isSafeInteger(value), 'BAD_INPUT', `onnx: cannot encode ${value} as an int64`);
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(value));
  while (v > 127n) {
    out.push(Number(v & 127n) | 128);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const intField = (field: number, value: number): Uint8Array =>
  new Uint8Array([...varint(field << 3), ...varint(value)]);
const bytesField = (field: number, payload: Uint8Array): Uint8Array =>
  concat([new Uint8Array([...varint((field << 3) | 2), ...varint(payload.length)]), payload]);
const stringField = (field: number, text: string): Uint8Array => bytesField(field, utf8.encode(text));

/** A little-endian float32 field (wire type 5). */
function floatField(field: number, value: number): Uint8Array {
  const out = new Uint8Array(5);
  out[0] = (field << 3) | 5;
  new DataView(out.buffer).setFloat32(1, value, true);
  return out;
}

function attribute(name: string, value: OnnxAttribute): Uint8Array {
  if (Array.isArray(value))
    return concat([stringField(1, name), ...value.map((v) => intField(8, v)), intField(20, ATTR_INTS)]);
  if (typeof value === 'object')
    return concat([stringField(1, name), floatField(2, value.float), intField(20, ATTR_FLOAT)]);
  return concat([stringField(1, name), intField(3, value), intField(20, ATTR_INT)]);
}

function int64Tensor(t: OnnxInt64Initializer): Uint8Array {
  check(
    t.values.length === t.dims.reduce((p, d) => p * d, 1),
    'BAD_INPUT',
    `onnx: initializer ${t.name} has ${t.values.length} values for dims [${t.dims}]`,
  );
  return concat([
    ...t.dims.map((d) => intField(1, d)),
    intField(2, INT64),
    ...t.values.map((v) => new Uint8Array([...varint(7 << 3), ...int64Varint(v)])),
    stringField(8, t.name),
  ]);
}

function nodeProto(node: OnnxNode, index: number): Uint8Array {
  return concat([
    ...node.inputs.map((s) => stringField(1, s)),
    ...node.outputs.map((s) => stringField(2, s)),
    stringField(3, `${node.op}_${index}`),
    stringField(4, node.op),
    ...Object.entries(node.attrs ?? {}).map(([k, v]) => bytesField(5, attribute(k, v))),
  ]);
}

function valueInfo(value: OnnxValue): Uint8Array {
  const dims = value.dims.map((d) =>
    bytesField(1, typeof d === 'string' ? stringField(2, d) : intField(1, d)),
  );
  const tensorType = concat([intField(1, FLOAT), bytesField(2, concat(dims))]);
  return concat([stringField(1, value.name), bytesField(2, bytesField(1, tensorType))]);
}

/**
 * Encodes `graph` as a serialized ONNX ModelProto. Every value name (inputs and node outputs) must be
 * unique, as ONNX Runtime rejects duplicates ("Duplicate definition of name").
 */
export function encodeOnnxModel(graph: OnnxGraph): Uint8Array {
  const defined = new Set<string>();
  const initializers = graph.initializers ?? [];
  for (const name of [
    ...graph.inputs.map((v) => v.name),
    ...initializers.map((t) => t.name),
    ...graph.nodes.flatMap((n) => n.outputs),
  ]) {
    check(!defined.has(name), 'BAD_INPUT', `onnx: value name '${name}' is defined twice`);
    defined.add(name);
  }
  const body = concat([
    ...graph.nodes.map((n, i) => bytesField(1, nodeProto(n, i))),
    stringField(2, 'dtlens'),
    ...initializers.map((t) => bytesField(5, int64Tensor(t))),
    ...graph.inputs.map((v) => bytesField(11, valueInfo(v))),
    ...graph.outputs.map((v) => bytesField(12, valueInfo(v))),
  ]);
  const opset = concat([stringField(1, ''), intField(2, OPSET)]);
  return concat([
    intField(1, IR_VERSION),
    stringField(2, 'dtlens'),
    bytesField(7, body),
    bytesField(8, opset),
  ]);
}
