/** Top bar: served model picker, file open (picker and drag and drop anywhere), seed and reset. */
import { useEffect, useRef, useState } from 'react';
import { WEIGHT_VARIANTS, type WeightVariant } from '../../../src/model/processing.ts';
import type { ServedModel } from '../modelSource.ts';

interface Props {
  served: ServedModel[] | null;
  current: string | null;
  busy: boolean;
  seed: number;
  onSeed: (seed: number) => void;
  onPickServed: (name: string) => void;
  onOpenFile: (file: File) => void;
  onReset: () => void;
  canReset: boolean;
  weights: WeightVariant;
  onWeights: (weights: WeightVariant) => void;
  /** Downloads the current window as safetensors (absent before a model is loaded). */
  onExportWindow?: () => void;
  /** Downloads the HTML report of the model with the current window. */
  onSaveReport?: () => void;
}

export function ModelBar(p: Props) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    const over = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes('Files')) return;
      e.preventDefault();
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (e.relatedTarget === null) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      setDragging(false);
      const file = e.dataTransfer?.files[0];
      if (file) p.onOpenFile(file);
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, [p]);

  return (
    <header className="topbar">
      <div className="brand">
        <span className="logo">◆</span> dtlens
      </div>
      <label className="field">
        <span>Model</span>
        <select
          aria-label="served model"
          value={p.served?.some((m) => m.name === p.current) ? p.current! : ''}
          disabled={!p.served?.length || p.busy}
          onChange={(e) => e.target.value && p.onPickServed(e.target.value)}
        >
          <option value="">{p.served === null ? 'no server: open a file →' : 'choose a served model'}</option>
          {p.served?.map((m) => (
            <option key={m.name} value={m.name}>
              {m.name} ({(m.size / 1e6).toFixed(1)} MB)
            </option>
          ))}
        </select>
      </label>
      <button type="button" className="btn" onClick={() => fileInput.current?.click()}>
        Open file…
      </button>
      <input
        ref={fileInput}
        type="file"
        accept=".pt,.pth,.safetensors,.dtlens"
        hidden
        data-testid="file-input"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) p.onOpenFile(f);
          e.target.value = '';
        }}
      />
      {p.current && !p.served?.some((m) => m.name === p.current) && (
        <span className="muted">{p.current}</span>
      )}
      <label className="field">
        <span>Weights</span>
        <select
          aria-label="weights variant"
          value={p.weights}
          disabled={!p.canReset || p.busy}
          onChange={(e) => p.onWeights(e.target.value as WeightVariant)}
          title="raw: as trained · processed: TransformerLens folding (same function) · dti-compat: DTI's app, quirks included"
        >
          {WEIGHT_VARIANTS.map((w) => (
            <option key={w}>{w}</option>
          ))}
        </select>
      </label>
      {p.onExportWindow && (
        <button
          type="button"
          className="btn"
          onClick={p.onExportWindow}
          title="the window fed to the model, as safetensors in the inputs.* layout that dtlens forward/analyze read"
        >
          Export window
        </button>
      )}
      {p.onSaveReport && (
        <button
          type="button"
          className="btn"
          onClick={p.onSaveReport}
          title="one self-contained HTML file: config, every static figure, the current window's figures"
        >
          Save report
        </button>
      )}
      <span className="spacer" />
      <label className="field">
        <span>Seed</span>
        <input
          type="number"
          min={0}
          step={1}
          value={p.seed}
          aria-label="seed"
          onChange={(e) => {
            const v = Number(e.target.value);
            if (Number.isSafeInteger(v) && v >= 0) p.onSeed(v);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') p.onReset();
          }}
        />
      </label>
      <button type="button" className="btn primary" onClick={p.onReset} disabled={!p.canReset || p.busy}>
        Reset
      </button>
      <span className={`status-dot ${p.busy ? 'busy' : ''}`} title={p.busy ? 'computing…' : 'ready'} />
      {dragging && <div className="dropzone">Drop a checkpoint to open it (it stays on this computer)</div>}
    </header>
  );
}
