/**
 * The dtlens workbench shell: the play area (grid, agent view, prediction, window) stays in view on the
 * left while analyses are browsed, searched and opened side by side on the right. All computation
 * happens in the engine worker; this component sends commands and shows the latest results. The
 * shareable state (model, weights, episode, position, open panels and their settings) lives in the URL;
 * values a link cannot use are named in a notice.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import type { WeightVariant } from '../../src/model/processing.ts';
import type { EngineCommand, EngineResult, Frame, ModelInfo } from '../../src/session/protocol.ts';
import {
  type ShareableState,
  type UrlPanel,
  decodeState,
  defaultPanel,
  encodeState,
} from '../../src/session/urlState.ts';
import { ModelBar } from './components/ModelBar.tsx';
import { ModelInfoCard } from './components/ModelInfoCard.tsx';
import { PanelArea } from './components/PanelArea.tsx';
import { PanelBrowser } from './components/PanelBrowser.tsx';
import { PlayCard } from './components/PlayCard.tsx';
import { PositionBar } from './components/PositionBar.tsx';
import { PredictionCard } from './components/PredictionCard.tsx';
import { SteeringCard } from './components/SteeringCard.tsx';
import { TrajectoryCard } from './components/TrajectoryCard.tsx';
import { EngineClient, EngineFailure, type FileRequest } from './engineClient.ts';
import { download } from './figures/exportFigure.ts';
import { SCROLL_KEYS, actionForKey, isTypingTarget } from './keys.ts';
import { PanelResults } from './panelResults.ts';
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
  const results = useMemo(() => new PanelResults(), []);
  const [frames, setFrames] = useState<Frame[]>([]);
  const [panels, setPanels] = useState<UrlPanel[]>(() =>
    initial.state.panels.filter((p) => PANEL_VIEWS[p.id]),
  );
  const [position, setPosition] = useState<string | null>(initial.state.position);
  const [seed, setSeed] = useState(initial.state.seed);
  const [initialRtg, setInitialRtg] = useState(initial.state.initialRtg);
  const [error, setError] = useState<string | null>(null);
  const [notices, setNotices] = useState<string[]>(initial.notices);
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(0);
  const [running, setRunning] = useState(false);
  const runningRef = useRef(false);
  const panelsRef = useRef(panels);
  panelsRef.current = panels;
  /** A URL state waiting for its model file to be opened from disk. */
  const pendingRestore = useRef<ShareableState | null>(initial.state.model ? initial.state : null);

  /** The chosen token (label); the worker resolves it in each window. */
  const positionRef = useRef(position);
  positionRef.current = position;
  const unknownPosition = !!position && !!result && !result.view.window.some((t) => t.label === position);

  useEffect(() => {
    client.onPanels = (update) => results.update(update);
  }, [client, results]);

  const apply = useCallback(
    (r: EngineResult) => {
      if (r.model) {
        setModel(r.model);
        results.clear();
      }
      setFrames((prev) => [...prev.slice(0, r.view.frames.from), ...r.view.frames.items]);
      setResult(r);
      setSeed(r.view.seed);
      setInitialRtg(r.view.initialRtg);
    },
    [results],
  );

  const send = useCallback(
    async (
      command: EngineCommand,
      panelList: UrlPanel[] = panelsRef.current,
      pos: string | null = positionRef.current,
    ): Promise<EngineResult | null> => {
      inFlight.current++;
      const slow = command.type === 'load' || command.type === 'setWeights';
      const busyTimer = slow ? undefined : setTimeout(() => setBusy(true), BUSY_DELAY_MS);
      if (!busyTimer) setBusy(true);
      try {
        const r = await client.send(command, panelList, pos);
        // Drawn at once, before the panel messages that follow it are handled: the prediction first.
        flushSync(() => apply(r));
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
      const r = await send({
        type: 'load',
        bytes,
        fileName,
        seed: restore?.seed ?? seed,
        initialRtg: restore?.initialRtg ?? initialRtg,
        actions: restore?.actions ?? [],
        weights: restore?.weights ?? model?.weights,
      });
      if (r) pendingRestore.current = null;
      if (r && restore?.steering) await send({ type: 'setPlayIntervention', steering: restore.steering });
      if (r && restore && restore.actions.length > r.view.steps)
        setNotices((n) => [
          ...n,
          `actions: only the first ${r.view.steps} of ${restore.actions.length} could be replayed (the episode ended or an action does not exist)`,
        ]);
    },
    [send, seed, initialRtg, model],
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
      const want = initial.state.model;
      if (want && list?.some((m) => m.name === want)) void loadServed(want, initial.state);
      else if (want)
        setNotices((n) => [
          ...n,
          `Open ${want} from disk (file picker or drag and drop) to restore this link.`,
        ]);
      else if (list?.length) {
        const preferred =
          PREFERRED_MODELS.map((name) => list.find((m) => m.name === name)).find(Boolean) ?? list[0];
        void loadServed(preferred.name, { ...initial.state, model: preferred.name });
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
      weights: model.weights,
      seed: result.view.seed,
      initialRtg: result.view.initialRtg,
      actions: result.view.trajectory.actions,
      position,
      panels,
      steering: result.view.steering && { on: result.view.steering.on, params: result.view.steering.params },
    });
    const url = `${window.location.pathname}${query ? `?${query}` : ''}`;
    if (url === `${window.location.pathname}${window.location.search}`) return;
    // Debounced: replaceState costs milliseconds, so it stays off the keypress-to-update path.
    const timer = setTimeout(() => window.history.replaceState(null, '', url), URL_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [model, result, panels, position]);

  const openIds = useMemo(() => new Set(panels.map((p) => p.id)), [panels]);
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
    (next: UrlPanel[]) => {
      setPanels(next);
      panelsRef.current = next;
      if (result) void send({ type: 'refresh' }, next);
    },
    [result, send],
  );

  const togglePanel = useCallback(
    (id: string) => {
      const open = panelsRef.current.some((p) => p.id === id);
      const panel = defaultPanel(id);
      if (!open && !panel) return;
      setPanelList(open ? panelsRef.current.filter((p) => p.id !== id) : [...panelsRef.current, panel!]);
    },
    [setPanelList],
  );

  const choosePosition = useCallback(
    (label: string | null) => {
      setPosition(label);
      positionRef.current = label;
      if (result) void send({ type: 'refresh' });
    },
    [result, send],
  );

  const saveFile = useCallback(
    async (request: FileRequest) => {
      try {
        const bytes = await client.file(request);
        const stem = `${model?.fileName.replace(/\.[^.]+$/, '') ?? 'model'}-seed${seed}-t${result?.view.time ?? 0}`;
        const name = {
          report: `report-${stem}.html`,
          exportWindow: `window-${stem}.safetensors`,
          exportPair: `pair-${stem}.safetensors`,
        }[request.kind];
        download(
          new Blob([bytes as BlobPart], {
            type: request.kind === 'report' ? 'text/html' : 'application/octet-stream',
          }),
          name,
        );
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    },
    [client, model, seed, result],
  );

  // A linked position this model's window does not have: named in a notice, then the default.
  useEffect(() => {
    if (!unknownPosition || !result) return;
    const w = result.view.window;
    setNotices((n) => [
      ...n,
      `pos=${position}: no such token in this model's window (${w[0].label}..${w.at(-1)!.label}); using the last S token`,
    ]);
    choosePosition(null);
  }, [unknownPosition]);

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
        weights={model?.weights ?? initial.state.weights}
        onWeights={(weights: WeightVariant) => void send({ type: 'setWeights', weights })}
        onExportWindow={model ? () => void saveFile({ kind: 'exportWindow' }) : undefined}
        onSaveReport={model ? () => void saveFile({ kind: 'report' }) : undefined}
      />
      {error && (
        <div className="banner error" role="alert">
          <strong>Error:</strong> {error}
          <button type="button" className="chip" onClick={() => setError(null)} aria-label="dismiss error">
            ✕
          </button>
        </div>
      )}
      {notices.length > 0 && (
        <div className="banner notice" role="status" data-testid="url-notices">
          <strong>This link has values the app cannot use:</strong>
          <ul>
            {notices.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
          <button type="button" className="chip" onClick={() => setNotices([])} aria-label="dismiss notices">
            ✕
          </button>
        </div>
      )}
      {!model && !busy && (
        <div className="empty">
          <h2>Open a Decision Transformer checkpoint</h2>
          <p>
            Choose a served model above, or open a <code>.pt</code> / <code>.safetensors</code> file from disk
            (file picker or drag and drop). Nothing is uploaded: the model runs in your browser.
          </p>
        </div>
      )}
      {model && result && (
        <div className="workbench">
          <aside className="play-column" aria-label="play area">
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
            <SteeringCard
              model={model}
              view={result.view}
              onSet={(steering) => void send({ type: 'setPlayIntervention', steering })}
            />
            <TrajectoryCard model={model} view={result.view} frames={frames} />
          </aside>
          <main className="analysis-column" aria-label="analyses">
            <PanelBrowser open={openIds} onToggle={togglePanel} />
            <PositionBar view={result.view} position={position} onChange={choosePosition} />
            <PanelArea
              model={model}
              view={result.view}
              panels={panels}
              results={results}
              onChange={setPanelList}
              runJob={(panel, progress) => client.runJob(panel, positionRef.current, progress)}
              command={(c) => void send(c)}
              exportPair={(panel) => void saveFile({ kind: 'exportPair', panel })}
            />
            <ModelInfoCard model={model} />
          </main>
        </div>
      )}
      <footer>
        dtlens · Decision Transformer interpretability in the browser · keys: ← → ↑ move, P pickup, D drop, T
        toggle, ⇧D done
      </footer>
    </div>
  );
}
