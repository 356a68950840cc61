/** Model info: config table, parameter count and hook names. */
import { memo } from 'react';
import type { ModelInfo } from '../../../src/session/protocol.ts';
import { countOf } from '../../../src/text.ts';

export const ModelInfoCard = memo(function ModelInfoCard({ model }: { model: ModelInfo }) {
  return (
    <details className="card model-info">
      <summary>
        <h2>Model info</h2>
        <span className="muted">
          {model.fileName} · {countOf(model.nParams, 'parameter')} · {countOf(model.nLayers, 'layer')} ×{' '}
          {countOf(model.nHeads, 'head')} · n_ctx {model.nCtx} ·{' '}
          <span data-testid="weights-active">{model.weights} weights</span>
        </span>
      </summary>
      <div className="info-grid">
        <table className="kv">
          <tbody>
            <tr>
              <th>format</th>
              <td>{model.format}</td>
            </tr>
            <tr>
              <th>parameters</th>
              <td data-testid="param-count">{model.nParams.toLocaleString('en-US')}</td>
            </tr>
            <tr>
              <th>observation</th>
              <td>{model.obsShape.join(' × ')}</td>
            </tr>
            {model.config.map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div>
          <h3>Hook points ({model.hookNames.length})</h3>
          <ul className="hooks">
            {model.hookNames.map((h) => (
              <li key={h}>
                <code>{h}</code>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </details>
  );
});
