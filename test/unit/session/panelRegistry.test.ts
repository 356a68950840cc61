/** The panel system's contract: every worker panel has a view (and vice versa), with distinct ids. */
import { describe, expect, it } from 'vitest';
import { PANEL_VIEWS } from '../../../app/src/panels/registry.tsx';
import { PANELS, panelById } from '../../../src/session/panels.ts';
import { decodeState } from '../../../src/session/urlState.ts';

describe('panel registry', () => {
  it('pairs each worker computation with a UI view under the same id', () => {
    const ids = PANELS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(PANEL_VIEWS).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(panelById(id)?.id).toBe(id);
    expect(panelById('nope')).toBeUndefined();
  });

  it('uses ids that survive the URL state', () => {
    const ids = PANELS.map((p) => p.id);
    expect(decodeState(`panels=${ids.join(',')}`).panels).toEqual(ids);
  });
});
