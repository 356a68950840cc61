import { describe, expect, it } from 'vitest';
import { PLAY_STEERING_PARAMS } from '../../../src/session/playSteering.ts';
import { defaultParams } from '../../../src/session/params.ts';
import {
  DEFAULT_STATE,
  type ShareableState,
  decodeState,
  defaultPanel,
  encodeState,
} from '../../../src/session/urlState.ts';

const attention = defaultPanel('attention')!;
const lens = defaultPanel('logit-lens')!;

describe('shareable URL state', () => {
  it('writes a readable query with every non-default setting and reads it back', () => {
    const state: ShareableState = {
      model: 'MemoryGatedMLP.pt',
      weights: 'processed',
      seed: 3,
      initialRtg: 0.5,
      actions: [2, 2, 1, 0],
      position: 'S7',
      panels: [
        {
          id: 'cache',
          params: { ...defaultPanel('cache')!.params, hook: 'blocks.1.attn.hook_z', fixed: 'head:2' },
        },
        { ...attention, params: { ...attention.params, values: 'scores', head: 5 } },
        { ...lens, params: { positive: 2, negative: -1 } },
      ],
      steering: null,
    };
    const query = encodeState(state);
    expect(decodeURIComponent(query)).toBe(
      'model=MemoryGatedMLP.pt&weights=processed&seed=3&rtg=0.5&actions=2210&pos=S7&panels=cache,attention,logit-lens' +
        '&cache.hook=blocks.1.attn.hook_z&cache.fixed=head:2&attention.values=scores&attention.head=5' +
        '&logit-lens.positive=2&logit-lens.negative=-1',
    );
    expect(decodeState('?' + query)).toEqual({ state, notices: [] });
  });

  it('omits defaults and restores them from an empty query', () => {
    expect(encodeState({ ...DEFAULT_STATE })).toBe('');
    expect(decodeState('')).toEqual({ state: DEFAULT_STATE, notices: [] });
  });

  it('keeps a zero, negative or out-of-slider RTG as given and escapes model names', () => {
    const { state } = decodeState(encodeState({ ...DEFAULT_STATE, model: 'a b&c=d.pt', initialRtg: 0 }));
    expect(state.model).toBe('a b&c=d.pt');
    expect(state.initialRtg).toBe(0);
    expect(decodeState('rtg=-0.25').state.initialRtg).toBe(-0.25);
    expect(decodeState('rtg=5')).toEqual({ state: { ...DEFAULT_STATE, initialRtg: 5 }, notices: [] });
  });

  it('names every refused value in a notice and keeps the rest of the link', () => {
    const { state, notices } = decodeState(
      'seed=-4&rtg=abc&actions=22x1&panels=cache,<script>,Cache,cache,attention&model=&weights=folded' +
        '&pos=X3&attention.values=bogus&attention.colour=red&lens.positive=1&logit-lens.positive=2',
    );
    expect(state).toEqual({ ...DEFAULT_STATE, panels: [defaultPanel('cache'), attention] });
    expect(notices).toEqual([
      'model=: not a model name',
      'weights=folded: not one of raw, processed, dti-compat; using raw',
      'seed=-4: not a non-negative integer; using 0',
      'rtg=abc: not a finite number; using 0.9',
      'actions=22x1: not a string of action digits 0-9; no actions replayed',
      'pos=X3: not a token label such as S9; using the last S token',
      'panels=<script>: no such panel',
      'panels=Cache: no such panel',
      'attention.values=bogus: not one of pattern, scores; using pattern',
      'attention.colour=red: no such setting',
      'lens.positive=1: not a setting of an open panel',
      'logit-lens.positive=2: not a setting of an open panel',
    ]);
    expect(decodeState('seed=1.5').notices).toEqual(['seed=1.5: not a non-negative integer; using 0']);
    expect(decodeState('rtg=Infinity').state.initialRtg).toBe(DEFAULT_STATE.initialRtg);
    expect(decodeState('panels=attention&attention.head=1.5').notices).toEqual([
      'attention.head=1.5: not an integer; using -1',
    ]);
  });

  it('keeps the play steering: on/off and the settings that differ from their defaults', () => {
    const steering = {
      on: true,
      params: {
        ...defaultParams(PLAY_STEERING_PARAMS),
        corruption: 'all-rtg',
        value: 0,
        layer: 1,
        coefficient: 2.5,
      },
    };
    const query = encodeState({ ...DEFAULT_STATE, steering });
    expect(query).toBe('steer=on&steer.corruption=all-rtg&steer.layer=1&steer.coefficient=2.5');
    expect(decodeState(query)).toEqual({ state: { ...DEFAULT_STATE, steering }, notices: [] });
    const off = { on: false, params: defaultParams(PLAY_STEERING_PARAMS) };
    expect(decodeState(encodeState({ ...DEFAULT_STATE, steering: off })).state.steering).toEqual(off);
    const bad = decodeState('steer=maybe&steer.layer=1');
    expect(bad.state.steering).toBeNull();
    expect(bad.notices).toEqual([
      'steer=maybe: not on or off; no steering',
      'steer.layer=1: a steering setting without steer=on|off',
    ]);
    expect(decodeState('steer=off&steer.hook=attn&steer.colour=red').notices).toEqual([
      'steer.hook=attn: not one of resid_pre, resid_mid, resid_post, attn_out, mlp_out; using resid_pre',
      'steer.colour=red: no such steering setting',
    ]);
  });
});
