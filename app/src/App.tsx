/**
 * The dtlens app shell: model choice, the play loop (keys, buttons, the model acting), the prediction,
 * the trajectory, and the open analysis panels. All computation happens in the engine worker; this
 * component only sends commands and shows the latest result. The shareable state lives in the URL.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type {
  EngineCommand,
  EngineResult,
  Frame,
  ModelInfo,
  PanelRequest,
} from '../../src/session/protocol.ts';
import { type ShareableState, decodeState, encodeState } from '../../src/session/urlState.ts';
import { ModelBar } from './components/ModelBar.tsx';
import { ModelInfoCard } from './components/ModelInfoCard.tsx';
import { PanelArea } from './components/PanelArea.tsx';
import { PlayCard } from './components/PlayCard.tsx';
import { PredictionCard } from './components/PredictionCard.tsx';
import { TrajectoryCard } from './components/TrajectoryCard.tsx';
import { EngineClient, EngineFailure } from './engineClient.ts';
import { SCROLL_KEYS, actionForKey, isTypingTarget } from './keys.ts';
import { type ServedModel, fetchServedModel, listServedModels } from './modelSource.ts';
import { PANEL_VIEWS } from './panels/registry.tsx';

/** Opened at start-up when the URL names no model: dtlens's own MemoryS7 model, then DTI's. */
const PREFERRED_MODELS = ['MiniGrid-MemoryS7FixedStart-v0.safetensors', 'MemoryGatedMLP.pt'];

const RUN_STEP_LIMIT = 200;
const URL_DEBOUNCE_MS = 250;
/**
 * Commands other than loading a model show the busy state only once they take this long: a keypress's
 * step then costs one render instead of two (busy on, then result and busy off) and nothing flickers.
 */
const BUSY_DELAY_MS = 150;

export function App() {
  const client = useMemo(() => EngineClient.start(), []);
  const initial = useMemo(() => decodeState(window.location.search), []);
  const [served, setServed] = useState<ServedModel[] | null>(null);
  const [model, setModel] = useState<ModelInfo | null>(null);
  const [result, setResult] = useState<EngineResult | null>(null);
  const [frames, setFrames] = useState<Frame[]>([]);
  const [panels, setPanels] = useState<PanelRequest[]>(() =>
    initial.panels
      .filter((id) => PANEL_VIEWS[id])
      .map((id) => ({ id, params: { ...PANEL_VIEWS[id].defaultParams } })),
  );
  const [seed, setSeed] = useState(initial.seed);
  const [initialRtg, setInitialRtg] = useState(initial.initialRtg);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** Requests in flight (the worker answers them in order; held-down keys do not repeat). */
  const inFlight = useRef(0);
  const [running, setRunning] = useState(false);
  const runningRef = useRef(false);
  const panelsRef = useRef(panels);
  panelsRef.current = panels;
  /** A URL state waiting for its model file to be opened from disk. */
  const pendingRestore = useRef<ShareableState | null>(initial.model ? initial : null);

  const apply = useCallback((r: EngineResult) => {
    if (r.model) setModel(r.model);
    setFrames((prev) => [...prev.slice(0, r.view.frames.from), ...r.view.frames.items]);
    setResult(r);
    setSeed(r.view.seed);
    setInitialRtg(r.view.initialRtg);
  }, []);

  const send = useCallback(
    async (
      command: EngineCommand,
      panelList: PanelRequest[] = panelsRef.current,
    ): Promise<EngineResult | null> => {
      inFlight.current++;
      const busyTimer = command.type === 'load' ? undefined : setTimeout(() => setBusy(true), BUSY_DELAY_MS);
      if (!busyTimer) setBusy(true);
      try {
        const r = await client.send(command, panelList);
        apply(r);
        setError(null);
        return r;
      } catch (e) {
        const message = e instanceof EngineFailure ? e.message : `unexpected error: ${String(e)}`;
        setError(command.type === 'load' ? `could not open ${command.fileName}: ${message}` : message);
        return null;
      } finally {
        clearTimeout(busyTimer);
        setBusy(--inFlight.current > 0);
      }
    },
    [client, apply],
  );

  const loadBytes = useCallback(
    async (bytes: Uint8Array, fileName: string, restore: ShareableState | null) => {
      setNotice(null);
      const r = await send({
        type: 'load',
        bytes,
        fileName,
        seed: restore?.seed ?? seed,
        initialRtg: restore?.initialRtg ?? initialRtg,
        actions: restore?.actions ?? [],
      });
      if (r) pendingRestore.current = null;
    },
    [send, seed, initialRtg],
  );

  const loadServed = useCallback(
    async (name: string, restore: ShareableState | null) => {
      try {
        await loadBytes(await fetchServedModel(name), name, restore);
      } catch (e) {
        setError(String(e instanceof Error ? e.message : e));
      }
    },
    [loadBytes],
  );

  const openFile = useCallback(
    async (file: File) => {
      const restore = pendingRestore.current?.model === file.name ? pendingRestore.current : null;
      await loadBytes(new Uint8Array(await file.arrayBuffer()), file.name, restore);
    },
    [loadBytes],
  );

  // Start-up: list served models, then restore the URL state (or load a default model).
  useEffect(() => {
    let cancelled = false;
    void listServedModels().then((list) => {
      if (cancelled) return;
      setServed(list);
      const want = initial.model;
      if (want && list?.some((m) => m.name === want)) void loadServed(want, initial);
      else if (want) setNotice(`Open ${want} from disk (file picker or drag and drop) to restore this link.`);
      else if (list?.length) {
        const preferred =
          PREFERRED_MODELS.map((name) => list.find((m) => m.name === name)).find(Boolean) ?? list[0];
        void loadServed(preferred.name, { ...initial, model: preferred.name });
      }
    });
    return () => {
      cancelled = true;
    };
    // Runs once: `initial` is the URL at start-up.
  }, []);

  // Keep the URL in sync with the shareable state.
  useEffect(() => {
    if (!model || !result) return;
    const query = encodeState({
      model: model.fileName,
      seed: result.view.seed,
      initialRtg: result.view.initialRtg,
      actions: result.view.trajectory.actions,
      panels: panels.map((p) => p.id),
    });
    const url = `${window.location.pathname}${query ? `?${query}` : ''}`;
    if (url === `${window.location.pathname}${window.location.search}`) return;
    // Debounced: replaceState costs milliseconds, so it stays off the keypress-to-update path.
    const timer = setTimeout(() => window.history.replaceState(null, '', url), URL_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [model, result, panels]);

  const canPlay = !!result && !result.view.episodeEnd && !running;
  const act = useCallback(
    (action: number) => {
      if (!model || action >= model.nActions) return;
      void send({ type: 'step', action });
    },
    [model, send],
  );

  // Play keys anywhere on the page, except while typing in a form control; never scroll.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTypingTarget(e.target)) return;
      const action = actionForKey(e);
      if (action !== null || SCROLL_KEYS.has(e.key)) e.preventDefault();
      if (action !== null && canPlay && !e.repeat) act(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [act, canPlay]);

  const runModel = useCallback(async () => {
    runningRef.current = true;
    setRunning(true);
    for (let i = 0; i < RUN_STEP_LIMIT && runningRef.current; i++) {
      const r = await send({ type: 'act' });
      if (!r || r.view.episodeEnd) break;
    }
    runningRef.current = false;
    setRunning(false);
  }, [send]);

  const setPanelList = useCallback(
    (next: PanelRequest[]) => {
      setPanels(next);
      panelsRef.current = next;
      if (result) void send({ type: 'refresh' }, next);
    },
    [result, send],
  );

  return (
    <div className="app">
      <ModelBar
        served={served}
        current={model?.fileName ?? null}
        busy={busy}
        seed={seed}
        onSeed={setSeed}
        onPickServed={(name) => void loadServed(name, null)}
        onOpenFile={(f) => void openFile(f)}
        onReset={() => void send({ type: 'reset', seed })}
        canReset={!!model}
      />
      {error && (
        <div className="banner error" role="alert">
          <strong>Error:</strong> {error}
          <button type="button" className="chip" onClick={() => setError(null)} aria-label="dismiss error">
            ✕
          </button>
        </div>
      )}
      {notice && <div className="banner notice">{notice}</div>}
      {!model && !busy && !notice && (
        <div className="empty">
          <h2>Open a Decision Transformer checkpoint</h2>
          <p>
            Choose a served model above, or open a <code>.pt</code> / <code>.safetensors</code> file from disk
            (file picker or drag and drop). Nothing is uploaded: the model runs in your browser.
          </p>
        </div>
      )}
      {model && result && (
        <>
          <main className="main-grid">
            <PlayCard
              model={model}
              view={result.view}
              frame={frames.at(-1)}
              canPlay={canPlay}
              running={running}
              onAction={act}
              onModelStep={() => void send({ type: 'act' })}
              onModelRun={() => void runModel()}
              onStop={() => (runningRef.current = false)}
              onRtg={(r) => {
                setInitialRtg(r);
                void send({ type: 'setRtg', initialRtg: r });
              }}
              initialRtg={initialRtg}
            />
            <PredictionCard model={model} view={result.view} computeMs={result.computeMs} />
            <TrajectoryCard model={model} view={result.view} frames={frames} />
          </main>
          <PanelArea model={model} panels={panels} results={result.panels} onChange={setPanelList} />
          <ModelInfoCard model={model} />
        </>
      )}
      <footer>
        dtlens · Decision Transformer interpretability in the browser · keys: ← → ↑ move, P pickup, D drop, T
        toggle, ⇧D done
      </footer>
    </div>
  );
}
