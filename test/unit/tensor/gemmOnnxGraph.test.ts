import { describe, expect, it } from 'vitest';
import { DtlensError } from '../../../src/errors.ts';
import { encodeOnnxModel } from '../../../src/node/onnxGraph.ts';

describe('encodeOnnxModel', () => {
  const graph = {
    nodes: [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['C'] }],
    inputs: [
      { name: 'A', dims: ['M', 300] },
      { name: 'B', dims: [300, 'N'] },
    ],
    outputs: [{ name: 'C', dims: ['M', 'N'] }],
  };

  it('writes ir_version 8 first and opset 17 of the default domain last (onnx.proto field numbers)', () => {
    const bytes = encodeOnnxModel(graph);
    expect([...bytes.subarray(0, 2)]).toEqual([0x08, 8]); // field 1 (varint) = 8
    // opset_import: field 8 (bytes, 0x42), length 4, domain '' (0x0a 0x00), version 17 (0x10 0x11)
    expect([...bytes.subarray(bytes.length - 6)]).toEqual([0x42, 4, 0x0a, 0, 0x10, 17]);
  });

  it('encodes a fixed dim above 127 as a two-byte varint (300 = 0xac 0x02)', () => {
    const bytes = [...encodeOnnxModel(graph)];
    const at = bytes.findIndex((_, i) => bytes[i] === 0x08 && bytes[i + 1] === 0xac && bytes[i + 2] === 0x02);
    expect(at).toBeGreaterThan(0);
  });

  it('rejects duplicate value names, which ONNX Runtime would refuse', () => {
    const dup = { ...graph, nodes: [{ op: 'MatMul', inputs: ['A', 'B'], outputs: ['A'] }] };
    expect(() => encodeOnnxModel(dup)).toThrow(DtlensError);
  });
});
