import { describe, expect, it } from 'vitest';
import { DEFAULT_STATE, decodeState, encodeState } from '../../../src/session/urlState.ts';

describe('shareable URL state', () => {
  it('writes a readable query and reads it back', () => {
    const state = {
      model: 'MemoryGatedMLP.pt',
      seed: 3,
      initialRtg: 0.5,
      actions: [2, 2, 1, 0],
      panels: ['cache', 'attention'],
    };
    const query = encodeState(state);
    expect(query).toBe('model=MemoryGatedMLP.pt&seed=3&rtg=0.5&actions=2210&panels=cache%2Cattention');
    expect(decodeState('?' + query)).toEqual(state);
  });

  it('omits defaults and restores them from an empty query', () => {
    expect(encodeState({ ...DEFAULT_STATE })).toBe('');
    expect(decodeState('')).toEqual(DEFAULT_STATE);
  });

  it('keeps a zero or negative RTG and escapes model names', () => {
    const s = decodeState(encodeState({ ...DEFAULT_STATE, model: 'a b&c=d.pt', initialRtg: 0 }));
    expect(s.model).toBe('a b&c=d.pt');
    expect(s.initialRtg).toBe(0);
    expect(decodeState('rtg=-0.25').initialRtg).toBe(-0.25);
  });

  it('falls back to defaults field by field on malformed input', () => {
    const s = decodeState('seed=-4&rtg=abc&actions=22x1&panels=cache,<script>,Cache,cache&model=');
    expect(s).toEqual({ ...DEFAULT_STATE, panels: ['cache'] });
    expect(decodeState('seed=1.5').seed).toBe(0);
    expect(decodeState('rtg=Infinity').initialRtg).toBe(DEFAULT_STATE.initialRtg);
  });
});
