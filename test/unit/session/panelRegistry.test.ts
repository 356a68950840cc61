/** The panel system's contract: every worker panel has a view (and vice versa), distinct ids, help and settings that survive the URL. */
import { describe, expect, it } from 'vitest';
import { PANEL_VIEWS } from '../../../app/src/panels/registry.tsx';
import { PANELS, PANEL_GROUPS, panelById } from '../../../src/session/panels/index.ts';
import {
  type ParamSchema,
  type ParamValues,
  defaultParams,
  parseParam,
  shownAlternatives,
  shownParams,
} from '../../../src/session/params.ts';
import { PLAY_STEERING_PARAMS } from '../../../src/session/playSteering.ts';
import { decodeState, encodeState, DEFAULT_STATE } from '../../../src/session/urlState.ts';

describe('panel registry', () => {
  it('pairs each worker panel with a UI view under the same id', () => {
    const ids = PANELS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(PANEL_VIEWS).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(panelById(id)?.id).toBe(id);
    expect(panelById('nope')).toBeUndefined();
  });

  it('gives every panel a group, a help paragraph naming what it computes, and valid defaults', () => {
    for (const p of PANELS) {
      expect(PANEL_GROUPS).toContain(p.group);
      expect(p.help.length, p.id).toBeGreaterThan(80);
      expect(p.help, p.id).toMatch(/weights/);
      for (const [name, spec] of Object.entries(p.params))
        expect(parseParam(spec, String(spec.default)), `${p.id}.${name}`).toEqual({
          ok: true,
          value: spec.default,
        });
    }
  });

  it('conditions settings only on choice settings of the same schema, by values they can take', () => {
    const schemas: [string, ParamSchema][] = [
      ...PANELS.map((p): [string, ParamSchema] => [p.id, p.params]),
      ['play steering', PLAY_STEERING_PARAMS],
    ];
    let conditioned = 0;
    for (const [id, schema] of schemas)
      for (const [name, spec] of Object.entries(schema))
        for (const [on, values] of shownAlternatives(spec).flatMap((when) => Object.entries(when))) {
          conditioned++;
          const target = schema[on];
          expect(target?.kind, `${id}.${name} shown when ${on}`).toBe('choice');
          if (target?.kind === 'choice')
            for (const v of values) expect(target.choices, `${id}.${name}: ${on}=${v}`).toContain(v);
        }
    expect(conditioned).toBeGreaterThan(20);
    // e.g. the patching panel: the neuron of the neuron metric, the cells of a state corruption
    const patching = panelById('activation-patching')!.params;
    const shown = (over: ParamValues) =>
      Object.keys(shownParams(patching, { ...defaultParams(patching), ...over }));
    expect(shown({})).toEqual(expect.arrayContaining(['x', 'y', 'object', 'positive', 'negative']));
    expect(shown({})).not.toContain('neuron');
    expect(shown({ metric: 'neuron', corruption: 'all-rtg' })).toEqual(
      expect.arrayContaining(['neuron', 'value']),
    );
    expect(shown({ metric: 'neuron', corruption: 'all-rtg' })).not.toEqual(expect.arrayContaining(['x']));
    expect(shown({ metric: 'kl' })).not.toContain('positive');
    // Alternatives: closed-loop corruption fields for the window's vector or for intervention rows only.
    const loop = panelById('closed-loop')!.params;
    const loopShown = (over: ParamValues) =>
      Object.keys(shownParams(loop, { ...defaultParams(loop), ...over }));
    expect(loopShown({})).toContain('x');
    expect(loopShown({ source: 'direction' })).not.toContain('x');
    expect(loopShown({ conditions: 'interventions', source: 'direction' })).toEqual(
      expect.arrayContaining(['corruption', 'x', 'json']),
    );
    expect(loopShown({ conditions: 'ablation' })).not.toContain('corruption');
  });

  it('uses ids and settings that survive the URL state', () => {
    const panels = PANELS.map((p) => ({ id: p.id, params: defaultParams(p.params) }));
    const { state, notices } = decodeState(encodeState({ ...DEFAULT_STATE, panels }));
    expect(notices).toEqual([]);
    expect(state.panels).toEqual(panels);
  });
});
